"""ProvisionPhone() and the Phone it returns: the Siperb SDK's surface in Python.

``phone = await siperb.ProvisionPhone({...})`` takes the documented options verbatim
(:class:`~siperb.phone.options.PhoneOptions` validates them); :func:`provision_phone` takes the same
as snake_case keywords. The phone connects to the provisioning's WebSocket URL, registers
(Proxy mode and ``*.siperb.com`` add ``X-Siperb-Sid``/``X-Siperb-Uid``/Bearer to REGISTER and
INVITE), configures the PhoneFrame, and then runs ``OnLoad``. A failure to connect raises
:class:`~siperb.errors.TransportError`; a refused REGISTER raises
:class:`~siperb.sip.registration.RegistrationError` with the SIP ``status``; both are also
reported as ``registration_failed`` events and a translated toast.

Method names are Python's, with the SDK's PascalCase names as aliases (``Dial``, ``Toast`` ...).
Every Enable* option is enforced here: a disabled feature raises
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
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any

from .. import __version__
from ..errors import SiperbError, TransportError
from ..events import Callback, Event, EventHub, Subscription
from ..media import EngineMediaControl, engine_available
from ..media import media_factory as engine_media_factory
from ..sip import Uri
from ..sip.call import Call as SipCall
from ..sip.call import CallState, Outcome
from ..sip.registration import RegistrationError
from ..sip.session import DTMF_DIGITS, MediaHandler
from ..sip.useragent import UserAgent, UserAgentConfig
from .call import OUTCOME_TOASTS, STATE_LABELS, Call, SessionState, session_state
from .frame import call_frame
from .history import AsyncHistory, CallRecord, Direction
from .i18n import catalogue
from .media_control import MediaControl, NoMediaEngine
from .options import PhoneOptions

log = logging.getLogger("siperb.phone")

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


class PhoneSettings:
    """Per-profile settings in the history database; changing them needs EnableSettings."""

    def __init__(self, phone: Phone):
        self._phone = phone

    async def get(self, key: str, default: Any = None) -> Any:
        return await self._phone._store().get_setting(key, default)

    async def set(self, key: str, value: Any) -> None:
        self._phone.options.require("settings")
        await self._phone._store().set_setting(key, value)

    async def delete(self, key: str) -> bool:
        self._phone.options.require("settings")
        return await self._phone._store().delete_setting(key)

    Get = get
    Set = set


class Phone:
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
        self.options = options
        self.provisioning = options.provisioning
        self.translator = options.translator()
        self.hub = EventHub()
        if media_control is None:
            media_control = EngineMediaControl() if engine_available() else NoMediaEngine()
        self.media: MediaControl = media_control
        if media_factory is None:
            media_factory = (media_control.media_factory
                             if isinstance(media_control, EngineMediaControl)
                             else engine_media_factory())  # fmt: skip
        self.settings = PhoneSettings(self)
        self.ua: UserAgent | None = None
        self.registered = False
        self.loaded = asyncio.Event()
        self.load_error: BaseException | None = None
        self._history_path = history_path
        self._history: AsyncHistory | None = None
        self._media_factory = media_factory
        self._ua_options = dict(user_agent_options or {})
        self._calls: dict[SipCall, Call] = {}
        self._tracking: set[asyncio.Task[None]] = set()
        self._transfer: tuple[Call, Call] | None = None
        self._frame_queue: asyncio.Queue[tuple[str, tuple[Any, ...]] | None] = asyncio.Queue()
        self._frame_task: asyncio.Task[None] | None = None
        self._on_load_task: asyncio.Task[None] | None = None
        self._closed = False

    def __repr__(self) -> str:
        state = "registered" if self.registered else "not registered"
        return f"<Phone {self.provisioning.aor} {state}>"

    # ---- lifecycle ----

    async def start(self) -> None:
        """Configure the frame, open the history, connect and register; then OnLoad (a task)."""
        self.hub.bind(asyncio.get_running_loop())
        self._frame_task = asyncio.get_running_loop().create_task(self._frame_worker())
        self._frame("configure", self.options.ui_options())
        self._history = await AsyncHistory.open(self.options.profile_user_id, self._history_path)
        prepare = getattr(self.media, "prepare", None)
        if prepare is not None:  # e.g. open the default sound device (PortAudio blocks)
            await asyncio.to_thread(prepare)
        self.ua = _ProvisionedUserAgent(
            self._ua_config(), self.provisioning.contact_user, EventHub()
        )
        self.ua.events.on("*", self._on_ua_event)
        self._state_changed("registering", {"label": self.translator.t("registration.registering")})
        try:
            await self.ua.start()
        except TransportError as exc:
            reason = exc.reason or str(exc)
            self._emit("registration_failed", status=0, reason=reason,
                       label=self.translator.t("registration.failed", reason=reason))  # fmt: skip
            self.toast(self.translator.t("error.connect", server=self.provisioning.websocket_url))
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

    def _ua_config(self) -> UserAgentConfig:
        prov = self.provisioning
        headers = list(prov.extra_headers(self.options.session_id, self.options.user_id).items())
        kwargs: dict[str, Any] = {
            "aor": prov.aor,
            "proxy": prov.websocket_url,
            "username": prov.user,
            "password": prov.sip_password or None,
            "display_name": prov.display_name or None,
            "extra_headers": {"REGISTER": headers, "INVITE": headers} if headers else {},
            "user_agent": f"siperb/{__version__}",
            "media_factory": self._media_factory,
            # One stable instance per profile: a restarted phone replaces its old binding.
            "instance_id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'siperb:' + prov.aor + ':' + self.options.profile_user_id)}",  # noqa: E501
        }
        kwargs.update(self._ua_options)
        return UserAgentConfig(**kwargs)

    async def _run_on_load(self) -> None:
        try:
            await self.options.call_on_load()
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

    # ---- events ----

    def on(self, name: str, callback: Callback | None = None) -> Any:
        """``callback(event)`` for every ``name`` event (``"*"``: all); usable as a decorator."""
        return self.hub.on(name) if callback is None else self.hub.on(name, callback)

    def off(self, name: str, callback: Callback) -> bool:
        return self.hub.off(name, callback)

    def events(self, *names: str, maxsize: int | None = None) -> Subscription:
        """``async for ev in phone.events("incoming_call"): ...`` (all events without names)."""
        return self.hub.events(*names, maxsize=maxsize)

    def _emit(self, name: str, **data: Any) -> Event:
        return self.hub.emit(name, **data)

    def _frame(self, method: str, *args: Any) -> None:
        if self.options.phone_frame is not None and not self._closed:
            self._frame_queue.put_nowait((method, args))

    async def _frame_worker(self) -> None:
        """Frame calls in order, one at a time, never blocking an event callback."""
        while True:
            item = await self._frame_queue.get()
            if item is None:
                return
            method, args = item
            await call_frame(self.options.phone_frame, method, *args)

    def _state_changed(self, event: str, data: dict[str, Any]) -> None:
        self._frame("state_changed", event, data)

    def _on_ua_event(self, ev: Event) -> None:
        handler = getattr(self, f"_ua_{ev.name}", None)
        if handler is not None:
            handler(ev)

    def _ua_registered(self, ev: Event) -> None:
        self.registered = True
        label = self.translator.t("registration.registered")
        self._emit("registered", aor=ev["aor"], expires=ev["expires"], status=ev["status"],
                   reason=ev["reason"], label=label)  # fmt: skip
        self._state_changed("registered", {"aor": ev["aor"], "expires": ev["expires"],
                                           "label": label})  # fmt: skip

    def _ua_unregistered(self, ev: Event) -> None:
        self.registered = False
        label = self.translator.t("registration.unregistered")
        self._emit("unregistered", aor=ev["aor"], status=ev["status"], reason=ev["reason"],
                   label=label)  # fmt: skip
        self._state_changed("unregistered", {"aor": ev["aor"], "label": label})

    def _ua_registration_failed(self, ev: Event) -> None:
        self.registered = False
        label = self.translator.t("registration.failed", reason=ev["reason"])
        self._emit("registration_failed", status=ev["status"], reason=ev["reason"], label=label)
        self._state_changed("registration_failed", {"status": ev["status"], "label": label})

    def _ua_transport(self, ev: Event) -> None:
        self._emit("transport", **ev.data)
        if ev["state"] == "lost":
            self.toast(self.translator.t("error.connection_lost"))

    def _ua_incoming_call(self, ev: Event) -> None:
        call = self._wrap(ev["call"])
        caller = call.remote_name or call.remote_uri
        label = self.translator.t("call.incoming", caller=caller)
        self._emit("incoming_call", call=call, caller=caller, label=label)
        self._state_changed("incoming_call", {"call": call.id, "caller": caller, "label": label})

    def _ua_call_state(self, ev: Event) -> None:
        sip_call: SipCall = ev["call"]
        call = self._wrap(sip_call)
        if sip_call.state is CallState.ESTABLISHED and call.answer_time is None:
            call.answer_time = time.time()
        if sip_call.state is CallState.TERMINATED:
            call.end_time = time.time()
            call.hangup_by = self._hangup_by(call)
            if self._transfer is not None and call in self._transfer:
                self._transfer = None
            if call.recording:  # the media's close finished the file
                call.recording = False
                closed = getattr(self.media, "recording_closed", None)
                self._emit("recording_ended", call=call,
                           recording=closed(sip_call) if closed is not None else None)  # fmt: skip
        self._update_state(call)
        if sip_call.state is CallState.TERMINATED and call.answer_time is None:
            self._toast_unanswered(call)

    def _ua_hold(self, ev: Event) -> None:
        call = self._wrap(ev["call"])
        self._emit("hold", call=call, remote_hold=ev["remote_hold"])

    def _ua_dtmf(self, ev: Event) -> None:
        call = self._wrap(ev["call"])
        self._emit("dtmf", call=call, digit=ev["digit"], method=ev["method"])

    def _ua_transfer(self, ev: Event) -> None:
        data = dict(ev.data)
        data["call"] = self._wrap(ev["call"])
        if isinstance(data.get("new_call"), SipCall):
            data["new_call"] = self._wrap(data["new_call"])
        self._emit("transfer", **data)

    def _ua_message(self, ev: Event) -> None:
        data = dict(ev.data)
        if isinstance(data.get("call"), SipCall):
            data["call"] = self._wrap(data["call"])
        self._emit("message", **data)

    # ---- calls and their history ----

    def _wrap(self, sip_call: SipCall) -> Call:
        call = self._calls.get(sip_call)
        if call is None:
            call = self._calls[sip_call] = Call(self, sip_call)
            task = asyncio.get_running_loop().create_task(self._track(call))
            self._tracking.add(task)
            task.add_done_callback(self._tracking.discard)
            self._announce(call, None)
        return call

    def _update_state(self, call: Call) -> None:
        previous = call._set_state(session_state(call.sip))
        if previous is not None:
            self._announce(call, previous)
        if call.ended:
            self._calls.pop(call.sip, None)

    def _announce(self, call: Call, previous: SessionState | None) -> None:
        label = self.translator.t(STATE_LABELS[call.state])
        self._emit("session_state_change", call=call, state=call.state.value,
                   previous=previous.value if previous else None, label=label)  # fmt: skip
        self._state_changed("session_state_change", {
            "call": call.id, "direction": call.direction, "remote": call.remote_uri,
            "state": call.state.value, "label": label,
        })  # fmt: skip

    @staticmethod
    def _hangup_by(call: Call) -> Any:
        if call._local_end or call.outcome is Outcome.NO_ACK:
            return "local"
        if call.outcome is Outcome.TRANSPORT_ERROR:
            return None
        return "remote"

    def _toast_unanswered(self, call: Call) -> None:
        outcome = call.outcome
        if call.direction == "inbound":
            if not call._local_end and outcome is Outcome.CANCELLED:
                caller = call.remote_name or call.remote_uri
                self.toast(self.translator.t("call.missed", caller=caller))
            return
        if call._local_end:
            return
        key = OUTCOME_TOASTS.get(outcome) if outcome is not None else None
        if key is not None:
            self.toast(self.translator.t(key))
        elif call.status >= 300:
            self.toast(self.translator.t("call.failed", reason=f"{call.status} {call.reason}"))

    async def _track(self, call: Call) -> None:
        """Write the call's history row: start, answer, end (in that order, off the loop)."""
        store = self._store()
        sip_call = call.sip
        try:
            await asyncio.sleep(0)  # the INVITE task runs first and fixes the Call-ID
            key = call.call_id or sip_call.id
            direction: Direction = "inbound" if call.direction == "inbound" else "outbound"
            await store.record_start(
                key, direction, call.remote_uri or "sip:unknown", remote_name=call.remote_name,
                local_uri=self.provisioning.aor,
                local_name=self.provisioning.display_name or None, at=call.start_time,
            )  # fmt: skip
            if await asyncio.shield(sip_call.answered):
                await store.record_answer(key, at=call.answer_time)
            await asyncio.shield(sip_call.ended)
            status = call.status if call.status >= 300 else None
            call.record = await store.record_end(
                key, hangup_by=call.hangup_by, sip_status=status,
                sip_reason=(call.reason or None) if status else None, at=call.end_time,
            )  # fmt: skip
            self._emit("call_recorded", call=call, record=call.record)
        except Exception:
            log.exception("could not write the history of %r", call)
        finally:
            call.recorded.set()

    def _store(self) -> AsyncHistory:
        if self._history is None:
            raise SiperbError("the phone is not started", field="history")
        return self._history

    def _ua_ready(self) -> UserAgent:
        if self.ua is None or self._closed:
            raise SiperbError("the phone is not started (or closed)", field="phone")
        return self.ua

    @property
    def calls(self) -> list[Call]:
        """Calls not ended yet, oldest first."""
        return [c for c in self._calls.values() if not c.ended]

    @property
    def current_call(self) -> Call | None:
        """The newest call that is not ringing in (the one actions apply to by default)."""
        for call in reversed(self.calls):
            if call.state is not SessionState.INCOMING:
                return call
        return None

    def _pick(self, call: Call | None, *, incoming: bool = False) -> Call:
        if call is not None:
            return call
        if incoming:
            found = next((c for c in reversed(self.calls)
                          if c.state is SessionState.INCOMING), None)  # fmt: skip
        else:
            found = self.current_call
        if found is None:
            what = "no incoming call to answer" if incoming else "no call in progress"
            raise SiperbError(what, field="call")
        return found

    # ---- calling ----

    async def dial(self, target: str, *, known: Collection[str] = ()) -> Call:
        """Call ``target`` (``"1001"``, ``"user@host"`` or a SIP URI); returns at once."""
        ua = self._ua_ready()
        if not isinstance(target, str) or not target.strip():
            raise SiperbError("dial target is empty", field="target")
        target = target.strip()
        allowed = set(known)
        if not self.options.enable_dial_pad and target not in allowed:
            history_uris = {r.remote_uri for r in await self._store().list(limit=500)}
            if target in history_uris or ua.normalize_target(target) in history_uris:
                allowed.add(target)
        self.options.check_dial_target(target, known=allowed)
        sip_call = await ua.call(target)
        return self._wrap(sip_call)

    async def answer(self, call: Call | None = None) -> Call:
        call = self._pick(call, incoming=True)
        await call.sip.answer()
        return call

    async def decline(self, call: Call | None = None) -> None:
        call = self._pick(call, incoming=True)
        call._local_end = True
        await call.sip.decline()

    async def end_call(self, call: Call | None = None) -> None:
        """Hang up however far the call got (CANCEL, decline or BYE)."""
        call = self._pick(call)
        call._local_end = True
        await call.sip.hangup()

    hangup = end_call

    async def hold(self, call: Call | None = None) -> None:
        self.options.require("hold")
        call = self._pick(call)
        await self._reinvite(call, hold=True)
        self.toast(self.translator.t("toast.on_hold"))

    async def unhold(self, call: Call | None = None) -> None:
        self.options.require("hold")
        call = self._pick(call)
        await self._reinvite(call, hold=False)
        self.toast(self.translator.t("toast.resumed"))

    resume = unhold

    async def _reinvite(self, call: Call, *, hold: bool) -> None:
        if call.sip.state is not CallState.ESTABLISHED:
            raise SiperbError(f"cannot {'hold' if hold else 'resume'} a call that is "
                              f"{call.state.value}", field="call")  # fmt: skip
        response = await (call.sip.hold() if hold else call.sip.resume())
        status = response.status or 0
        if not 200 <= status < 300:
            raise SiperbError(f"re-INVITE refused: {status} {response.reason}", field="INVITE",
                              reason=f"{status} {response.reason}")  # fmt: skip
        self._update_state(call)

    async def mute(self, call: Call | None = None) -> None:
        await self._set_muted(call, True)

    async def unmute(self, call: Call | None = None) -> None:
        await self._set_muted(call, False)

    async def _set_muted(self, call: Call | None, muted: bool) -> None:
        self.options.require("mute")
        call = self._pick(call)
        self.media.set_muted(call.sip, muted)
        call.muted = muted
        self._emit("mute", call=call, muted=muted)
        self.toast(self.translator.t("toast.muted" if muted else "toast.unmuted"))

    async def send_dtmf(self, digits: str, call: Call | None = None, *,
                        method: str = "info") -> None:  # fmt: skip
        """Send DTMF digits (SIP INFO; ``method="rfc4733"`` once the media engine sends RTP)."""
        self.options.require("dtmf")
        bad = [d for d in digits if d not in DTMF_DIGITS]
        if not digits or bad:
            raise SiperbError(f"not DTMF digits: {digits!r}", field="digits")
        call = self._pick(call)
        await call.sip.send_dtmf(digits, method)

    # ---- transfer ----

    async def blind_transfer(self, target: str, call: Call | None = None) -> int:
        """REFER the far end to ``target``; the final status it reported (2xx: transferred)."""
        self.options.require("transfer")
        self.options.check_dial_target(target)
        call = self._pick(call)
        call._local_end = True
        status = await call.sip.transfer(target)
        self._transfer_toast(call, status)
        return status

    async def attended_transfer(self, target: str, call: Call | None = None) -> Call:
        """Hold the current call and call ``target``; then complete or cancel the transfer."""
        self.options.require("transfer")
        self.options.check_dial_target(target)
        original = self._pick(call)
        if not original.held:
            await self._reinvite(original, hold=True)
        consult = await self.dial(target, known=(target,))
        self._transfer = (original, consult)
        return consult

    async def complete_transfer(self) -> int:
        """Connect the held caller with the consulted party (REFER with Replaces)."""
        self.options.require("transfer")
        original, consult = self._pending_transfer()
        if consult.sip.state is not CallState.ESTABLISHED:
            raise SiperbError("the consulted party has not answered", field="transfer")
        original._local_end = consult._local_end = True
        status = await original.sip.transfer(consult.sip)
        self._transfer_toast(original, status)
        if 200 <= status < 300:
            self._transfer = None
        return status

    async def cancel_transfer(self) -> None:
        """Hang up the consultation call and take the original call off hold."""
        self.options.require("transfer")
        original, consult = self._pending_transfer()
        self._transfer = None
        consult._local_end = True
        await consult.sip.hangup()
        if original.sip.state is CallState.ESTABLISHED and original.held:
            await self._reinvite(original, hold=False)

    def _pending_transfer(self) -> tuple[Call, Call]:
        if self._transfer is None:
            raise SiperbError("no attended transfer in progress", field="transfer")
        return self._transfer

    def _transfer_toast(self, call: Call, status: int) -> None:
        if 200 <= status < 300:
            self.toast(self.translator.t("toast.transfer_complete"))
        else:
            call._local_end = False
            self.toast(self.translator.t("toast.transfer_failed", reason=str(status)))

    # ---- user interface ----

    def toast(self, message: str, title: str | None = None) -> Event:
        """Show a notice (the frame's ``toast`` and a ``toast`` event). A catalogue key
        (``"toast.phone_ready"``) is translated; other text is shown as given."""
        text = self._translate(message)
        shown_title = self._translate(title) if title is not None else None
        self._frame("toast", text, shown_title)
        return self._emit("toast", message=text, title=shown_title)

    def _translate(self, text: str) -> str:
        return self.translator.t(text) if text in catalogue("en") else text

    # ---- media (through MediaControl) ----

    async def start_recording(self, call: Call | None = None, path: str | None = None) -> Any:
        self.options.require("recording")
        call = self._pick(call)
        result = self.media.start_recording(call.sip, path)
        call.recording = True
        self._emit("recording_started", call=call, path=result)
        self.toast(self.translator.t("toast.recording_started"))
        return result

    async def stop_recording(self, call: Call | None = None) -> Any:
        self.options.require("recording")
        call = self._pick(call)
        result = self.media.stop_recording(call.sip)
        call.recording = False
        self._emit("recording_ended", call=call, recording=result)
        self.toast(self.translator.t("toast.recording_stopped"))
        return result

    def devices(self) -> list[Any]:
        self.options.require("device_selector")
        return self.media.devices()

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

    async def history(self, limit: int = 50, direction: Direction | None = None
                      ) -> list[CallRecord]:  # fmt: skip
        """This profile's calls, newest first."""
        return await self._store().list(limit, 0, direction)

    async def clear_history(self) -> int:
        return await self._store().clear()

    # ---- the SDK's names ----

    Dial = dial
    Answer = answer
    Decline = decline
    EndCall = end_call
    Hold = hold
    Unhold = unhold
    Mute = mute
    Unmute = unmute
    SendDtmf = send_dtmf
    BlindTransfer = blind_transfer
    AttendedTransfer = attended_transfer
    CompleteTransfer = complete_transfer
    CancelTransfer = cancel_transfer
    Toast = toast
    StartRecording = start_recording
    StopRecording = stop_recording
    GetDevices = devices
    SelectDevice = select_device
    GetHistory = history
    ClearHistory = clear_history
    Close = close
    On = on


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
