"""ProvisionPhone() and the Phone it returns: the Siperb SDK's surface in Python.

``phone = await siperb.ProvisionPhone({...})`` takes the documented options verbatim
(:class:`~siperb.phone.options.PhoneOptions` validates them); :func:`provision_phone` takes the same
as snake_case keywords. The phone connects to the provisioning's WebSocket URL, registers
(Proxy mode and ``*.siperb.com`` add ``X-Siperb-Sid``/``X-Siperb-Uid``/Bearer to REGISTER and
INVITE), configures the PhoneFrame, and then runs ``OnLoad``. A failure to connect raises
:class:`~siperb.errors.TransportError`; a refused REGISTER raises
:class:`~siperb.sip.registration.RegistrationError` with the SIP ``status``; both are also
reported as ``registration_failed`` events and a translated toast.

The Phone is built in layers, one concern each: events, frame and toasts
(:mod:`~siperb.phone.notify`), the SDK's assignable slots (:mod:`~siperb.phone.slots`), UA
events to calls and history rows (:mod:`~siperb.phone.tracking`), the call verbs with Python
arguments (:mod:`~siperb.phone.verbs`), transfers (:mod:`~siperb.phone.transfer`) and the SDK's
PascalCase verbs, session id first (:mod:`~siperb.phone.sdk`); this module adds the lifecycle,
devices, history and buddies. Every Enable* option is enforced: a disabled feature raises
:class:`~siperb.errors.FeatureDisabledError` before anything is sent.

``OnLoad`` runs in its own task right after :meth:`Phone.start` returns, like the browser SDK's
callback after ``await ProvisionPhone``: so an ``OnLoad`` that uses the variable the phone is
being assigned to (``phone.Toast('Welcome back')`` in the SDK's example) finds it assigned.
``await phone.wait_loaded()`` waits for it.

Media: calls negotiate SDP through the :class:`~siperb.sip.session.MediaHandler` seam
(``media_factory``): :class:`~siperb.media.EngineMedia` (real audio) when the native
engine is built. Devices, recording and mute go through :class:`MediaControl`: with the engine,
:class:`~siperb.media.EngineMediaControl` (calls use the system's default sound
device when there is one, else send silence and discard what they hear; ``select_device``
picks another; recordings are stereo WAVs, sent audio left, received right). Without it,
:class:`NoMediaEngine` raises ``MediaError("media engine not available")`` for devices and
recording, while mute/unmute only set the call's flag.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .._version import __version__
from ..errors import TransportError
from ..events import EventHub
from ..media import EngineMediaControl, engine_available
from ..media import media_factory as engine_media_factory
from ..sip import Uri
from ..sip.registration import RegistrationError
from ..sip.session import MediaHandler
from ..sip.useragent import UserAgent, UserAgentConfig
from .buddies import PhoneBuddies
from .call import Call, CallControl
from .history import AsyncHistory, CallRecord, Direction
from .media_control import MediaControl, NoMediaEngine
from .options import PhoneOptions
from .sdk import SdkVerbs
from .settings import PhoneSettings

log = logging.getLogger("siperb.phone")

#: Why a call row left open by a process that ended mid-call is closed at the next start.
INTERRUPTED = "interrupted: the phone stopped before the call ended"

MediaFactory = Callable[[UserAgent], MediaHandler]


class _ProvisionedUserAgent(UserAgent):
    """A UA whose Contact user is the provisioning's ``SipContact`` (or its random token)."""

    def __init__(self, config: UserAgentConfig, contact_user: str, events: EventHub):
        super().__init__(config, events=events)
        self.contact_user = contact_user

    def contact_uri(self) -> Uri:
        uri = super().contact_uri()
        prefix = f"sip:{self.aor.user or 'siperb'}@"
        if not self.contact_user or not uri.raw.startswith(prefix):
            return uri
        return Uri.parse(f"sip:{self.contact_user}@{uri.raw[len(prefix) :]}")


class Phone(SdkVerbs):
    """A registered phone; create it with :func:`ProvisionPhone` / :func:`provision_phone`."""

    def __init__(
        self,
        options: PhoneOptions,
        *,
        history_path: str | os.PathLike[str] | None = None,
        media_factory: MediaFactory | None = None,
        media_control: MediaControl | None = None,
        user_agent_options: Mapping[str, Any] | None = None,
    ):
        if media_control is None:
            media_control = EngineMediaControl() if engine_available() else NoMediaEngine()
        super().__init__(options, media_control)
        if media_factory is None:
            media_factory = (media_control.media_factory
                             if isinstance(media_control, EngineMediaControl)
                             else engine_media_factory())  # fmt: skip
        self.settings = PhoneSettings(self)
        self.buddies = PhoneBuddies(self)
        self.loaded = asyncio.Event()
        self.load_error: BaseException | None = None
        self._history_path = history_path
        self._media_factory = media_factory
        self._ua_options = dict(user_agent_options or {})
        self._on_load_task: asyncio.Task[None] | None = None

    def _control(self) -> CallControl:
        return self

    def _buddy_id(self, call: Call) -> str | None:
        buddy = self.buddies.find(call.remote_uri)
        return buddy.buddy_id if buddy is not None else None

    def _buddy_number(self, target: str) -> str | None:
        return self.buddies.number_of(target)

    def _known_targets(self) -> list[str]:
        return self.buddies.numbers()

    def __repr__(self) -> str:
        state = "registered" if self.registered else "not registered"
        return f"<Phone {self.provisioning.aor} {state}>"

    # ---- lifecycle ----

    async def start(self) -> None:
        """Configure the frame, open the history, connect and register; then OnLoad (a task)."""
        self.hub.bind(asyncio.get_running_loop())
        self._frame_task = asyncio.get_running_loop().create_task(self._frame_worker())
        self._frame("attach", self)
        self._frame("configure", self.options.ui_options())
        self._history = await AsyncHistory.open(self.options.profile_user_id, self._history_path)
        await self._close_interrupted(self._history)
        await self.buddies.load()
        prepare = getattr(self.media, "prepare", None)
        if prepare is not None:  # e.g. open the default sound device (PortAudio blocks)
            await asyncio.to_thread(prepare)
        await self._restore_devices()
        self.ua = self._new_user_agent()
        self.ua.events.on("*", self._on_ua_event)
        self._state_changed("registering", {"label": self.translator.t("registration.registering")})
        try:
            await self.ua.start()
        except TransportError as exc:
            reason = exc.reason or str(exc)
            self._emit("registration_failed", status=0, reason=reason,
                       label=self.translator.t("registration.failed", reason=reason))  # fmt: skip
            self.toast(self.translator.t("error.connect", server=self.provisioning.proxy_uri))
            await self.close()
            raise
        except RegistrationError as exc:
            self.toast(self.translator.t("error.register", status=exc.status,
                                         reason=exc.reason or ""))  # fmt: skip
            await self.close()
            raise
        except BaseException:
            await self.close()
            raise
        self._on_load_task = asyncio.get_running_loop().create_task(self._run_on_load())

    async def _close_interrupted(self, history: AsyncHistory) -> None:
        """Close the rows a previous run of this phone left open (it stopped mid-call)."""
        await history.close_interrupted(INTERRUPTED)

    def _new_user_agent(self) -> UserAgent:
        """The phone's UA; a subclass may give another (``siperb serve``'s workers answer
        OPTIONS and new INVITEs by their load)."""
        return _ProvisionedUserAgent(self._ua_config(), self.provisioning.contact_user, EventHub())

    def _ua_config(self) -> UserAgentConfig:
        prov = self.provisioning
        headers = list(prov.extra_headers(self.options.session_id, self.options.user_id).items())
        kwargs: dict[str, Any] = {
            "aor": prov.aor,
            "proxy": prov.proxy_uri,
            "tls_ca_file": prov.sip_ca_file or None,
            "tls_verify": prov.tls_verify,
            "username": prov.user,
            "password": prov.sip_password or None,
            "display_name": prov.display_name or None,
            "extra_headers": {"REGISTER": headers, "INVITE": headers} if headers else {},
            "user_agent": f"siperb/{__version__}",
            "media_factory": self._media_factory,
            **prov.media_options(),  # profile, STUN, TURN, media timeout (siperb's own keys)
            # One stable instance per profile: a restarted phone replaces its old binding.
            "instance_id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'siperb:' + prov.aor + ':' + self.options.profile_user_id)}",  # noqa: E501
        }
        kwargs.update(self._ua_options)
        if prov.secure and not kwargs["tls_verify"]:
            log.warning("TLS to %s: the server's certificate is not verified "
                        "(SelfSignedCertificate without SipCaFile); give SipCaFile to check it",
                        prov.proxy_uri)  # fmt: skip
        return UserAgentConfig(**kwargs)

    async def _run_on_load(self) -> None:
        try:
            await self._run_on_load_slot()
        except Exception as exc:
            self.load_error = exc
            log.exception("OnLoad raised")
        finally:
            self.loaded.set()
            self._emit("loaded", error=self.load_error)

    async def wait_loaded(self, timeout: float | None = None) -> None:
        """Wait until OnLoad has run (raises what it raised)."""
        await asyncio.wait_for(self.loaded.wait(), timeout)
        if self.load_error is not None:
            raise self.load_error

    async def close(self) -> None:
        """Hang up, unregister, write the last history rows, and stop the frame and events."""
        if self._closed:
            return
        self._closed = True
        for call in list(self._calls.values()):
            call._local_end = True
        if self.ua is not None:
            await self.ua.close()
        if self._tracking:
            await asyncio.wait(list(self._tracking), timeout=5.0)
        if self._on_load_task is not None and not self._on_load_task.done():
            self._on_load_task.cancel()
        if self._frame_task is not None:
            self._frame_queue.put_nowait(None)
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._frame_task, 5.0)
        if self._history is not None:
            await self._history.close()
        release = getattr(self.media, "close", None)
        if release is not None:
            release()
        await self.hub.aclose()

    async def __aenter__(self) -> Phone:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- media (through MediaControl) ----

    def devices(self) -> list[Any]:
        """The audio devices (needs EnableDeviceSelector); the SDK's GetDevices."""
        self.options.require("device_selector")
        return self.media.devices()

    async def _restore_devices(self) -> None:
        """Select the devices this profile chose last time (a missing one is logged, not fatal)."""
        store = self._store()
        chosen = {k: await store.get_setting(f"audio.{k}") for k in ("input", "output")}
        if chosen["input"] is None and chosen["output"] is None:
            return
        try:
            self.media.select_device(input=chosen["input"], output=chosen["output"])
        except Exception as exc:
            log.warning("could not restore the audio devices %s: %s", chosen, exc)

    async def select_device(self, *, input: str | None = None, output: str | None = None) -> None:
        """Use these audio devices; the choice is kept in the profile's settings."""
        self.options.require("device_selector")
        self.media.select_device(input=input, output=output)
        store = self._store()
        if input is not None:
            await store.set_setting("audio.input", input)
        if output is not None:
            await store.set_setting("audio.output", output)

    # ---- history ----

    async def history(self, limit: int = 50, direction: Direction | None = None,
                      offset: int = 0) -> list[CallRecord]:  # fmt: skip
        """This profile's calls, newest first (``offset`` rows skipped: paging)."""
        return await self._store().list(limit, offset, direction)

    async def clear_history(self) -> int:
        """Forget this profile's calls; the number removed (the SDK's ClearHistory)."""
        return await self._store().clear()

    async def recent_calls(self, limit: int = 50) -> list[CallRecord]:
        """The SDK's ``GetRecentCalls``: this profile's last ``limit`` calls, newest first."""
        return await self._store().list(limit)

    async def call_record(self, call_id: str) -> CallRecord | None:
        """One record by SIP Call-ID or by this process's session id (``call.id``)."""
        return await self._store().get(self._call_ids.get(call_id, call_id))

    # ---- the SDK's names ----

    GetDevices = devices
    SelectDevice = select_device
    GetHistory = history
    ClearHistory = clear_history
    GetRecentCalls = recent_calls
    GetCallRecord = call_record
    Close = close


async def ProvisionPhone(
    options: Mapping[str, Any],
    *,
    history_path: str | os.PathLike[str] | None = None,
    media_factory: MediaFactory | None = None,
    media_control: MediaControl | None = None,
    user_agent_options: Mapping[str, Any] | None = None,
) -> Phone:
    """The SDK's ``ProvisionPhone({...})``: documented option names, a registered Phone back."""
    phone = Phone(PhoneOptions.from_dict(options), history_path=history_path,
                  media_factory=media_factory, media_control=media_control,
                  user_agent_options=user_agent_options)  # fmt: skip
    await phone.start()
    return phone


async def provision_phone(
    *,
    history_path: str | os.PathLike[str] | None = None,
    media_factory: MediaFactory | None = None,
    media_control: MediaControl | None = None,
    user_agent_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> Phone:
    """:func:`ProvisionPhone` with snake_case options (``provisioning=``, ``profile_user_id=``)."""
    phone = Phone(PhoneOptions.from_kwargs(**options), history_path=history_path,
                  media_factory=media_factory, media_control=media_control,
                  user_agent_options=user_agent_options)  # fmt: skip
    await phone.start()
    return phone


__all__ = [
    "MediaControl",
    "NoMediaEngine",
    "Phone",
    "PhoneSettings",
    "ProvisionPhone",
    "RegistrationError",
    "provision_phone",
]
