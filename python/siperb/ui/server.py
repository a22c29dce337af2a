"""WebFrame: the phone's web UI, a PhoneFrame served by this process for an ``<iframe>``.

::

    frame = await WebFrame(allowed_origins=["https://app.example"]).start()
    phone = await ProvisionPhone({..., "PhoneFrame": frame})
    print(frame.url)  # what the host page puts in <iframe src>

One ``websockets`` server on 127.0.0.1 (a free port by default), or over TLS on another
address (``host``, ``certificate``, ``key``: :mod:`siperb.ui.tls`), serves the static page and
the control WebSocket (:mod:`siperb.ui.protocol`). Each connected page gets the phone's state
after every event, toasts (queued until a page connects), call quality once a second, and the
SDK's events, which the page posts to the parent window's configured origin only.

``browser_audio=True`` (or a :class:`~siperb.ui.browser_audio.BrowserAudio`) adds "This
browser" to the device selector: the page's microphone and speaker through a WebRTC leg to the
engine, bridged to the current call inside the engine (:mod:`siperb.ui.browser_audio`). With
``None`` (the default) the selector lists the native devices only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import ssl
import time
from collections import deque
from functools import cache
from typing import Any

from ..errors import FeatureDisabledError, SiperbError
from ..phone.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Translator,
    catalogue,
    match_language,
    placeholders,
)
from ..phone.options import FEATURES
from .browser_audio import BROWSER_DEVICE, BrowserAudio
from .commands import CommandRunner
from .pages import FrameHttp
from .protocol import MAX_COMMAND_BYTES, error_payload, message, parse_command, reply, reply_error
from .ringer import Ringer
from .state import REGISTERING, account, event_view, initials, ringing, snapshot, stats_view
from .tls import StrPath, check_bind, server_context

log = logging.getLogger("siperb.ui")

MAX_CLIENTS = 8  # pages at once per frame (each holds a socket and a queue)
MAX_QUEUED = 512  # messages waiting for one slow page before it is dropped
MAX_PENDING_TOASTS = 32  # toasts kept until the first page connects
RTL_LANGUAGES = frozenset({"he"})
#: Each language by its own name, for the settings panel's picker (the same in every language).
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "fr": "Français", "ja": "日本語", "zh-hans": "简体中文", "zh": "繁體中文",
    "ru": "Русский", "tr": "Türkçe", "nl": "Nederlands", "es": "Español", "de": "Deutsch",
    "pl": "Polski", "pt-br": "Português (Brasil)", "he": "עברית",
}  # fmt: skip
_REGISTRATION = {"registered": "registered", "unregistered": "unregistered",
                 "registration_failed": "failed", "registering": REGISTERING}  # fmt: skip


class _Client:
    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(MAX_QUEUED)
        self.language = DEFAULT_LANGUAGE
        self.browser_languages: list[str] = []
        self.ready = False  # after hello

    def put(self, text: str | None) -> bool:
        """Queue ``text`` for the page (``None``: stop its writer); False when the queue is
        full."""
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True


class WebFrame:
    """A PhoneFrame that is a web page (see the module docstring)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed_origins: tuple[str, ...] | list[str] = (),
        parent_origin: str | None = None,
        token: str | None = None,
        browser_audio: bool | BrowserAudio | None = None,
        certificate: StrPath | None = None,
        key: StrPath | None = None,
        ssl_context: ssl.SSLContext | None = None,
        server_name: str | None = None,
    ) -> None:
        if ssl_context is None and certificate is not None:
            ssl_context = server_context(certificate, key)
        check_bind(host, ssl_context)  # a non-loopback bind only over TLS
        self.ssl_context = ssl_context
        origins = tuple(o.rstrip("/") for o in allowed_origins)
        if any("*" in o or not o.startswith(("http://", "https://")) for o in origins):
            raise SiperbError("allowed_origins: each must be an http(s) origin, no wildcard",
                              field="allowed_origins", reason="not an origin")  # fmt: skip
        self.parent_origin = parent_origin.rstrip("/") if parent_origin else (
            origins[0] if origins else None)  # fmt: skip
        if self.parent_origin is not None and self.parent_origin not in origins:
            origins = (*origins, self.parent_origin)
        self.http = FrameHttp(token or secrets.token_urlsafe(24), origins)
        self.http.host, self.http.port = host, port
        self.http.scheme = "https" if ssl_context is not None else "http"
        self.http.server_name = server_name
        self.browser_audio: BrowserAudio | None = None  # the "This browser" device, if offered
        if isinstance(browser_audio, BrowserAudio):
            self.browser_audio = browser_audio
        elif browser_audio:
            self.browser_audio = BrowserAudio(address=host)
        self.phone: Any = None
        self.ui_options: dict[str, Any] = {}
        self.registration = REGISTERING
        self.chosen_devices: dict[str, str] = {}
        self.missed_seen_at = 0.0
        self.language_override: str | None = None
        self.settings: dict[str, str] = {"DtmfType": "info"}  # shown in the settings panel
        self.runner = CommandRunner(self)
        self.ringer = Ringer()  # rings the chosen ringer device (:mod:`siperb.ui.ringer`)
        self._clients: set[_Client] = set()
        self._toasts: deque[tuple[str, str | None]] = deque(maxlen=MAX_PENDING_TOASTS)
        self._server: Any = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._stats_task: asyncio.Task[None] | None = None

    # ---- lifecycle ----

    @property
    def url(self) -> str:
        """The page's URL (with this frame's token): the ``<iframe src>``."""
        return f"{self.http.origin}/f/{self.http.token}/"

    @property
    def origin(self) -> str:
        return self.http.origin

    @property
    def clients(self) -> int:
        return sum(1 for c in self._clients if c.ready)

    async def start(self) -> WebFrame:
        """Bind and serve (idempotent); ``url`` is valid afterwards."""
        if self._server is not None:
            return self
        from websockets.asyncio.server import serve

        self._server = await serve(
            self._serve_client, self.http.host, self.http.port,
            process_request=self.http.handle, compression=None,
            max_size=MAX_COMMAND_BYTES, max_queue=16, server_header=None, ssl=self.ssl_context,
        )  # fmt: skip
        sock = next(iter(self._server.sockets))
        self.http.port = int(sock.getsockname()[1])
        self._stats_task = asyncio.get_running_loop().create_task(self._stats_loop())
        log.info("phone UI on %s/f/…/ (token not logged)", self.http.origin)
        return self

    async def close(self) -> None:
        if self._stats_task is not None:
            self._stats_task.cancel()
        for task in list(self._tasks):
            task.cancel()
        for client in list(self._clients):
            client.put(None)
        if self.browser_audio is not None:
            self.browser_audio.close(self.phone)
        await self.ringer.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5.0)
            self._server = None

    async def __aenter__(self) -> WebFrame:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def keep(self, task: asyncio.Future[Any]) -> None:
        """Keep a background command (a transfer waiting for NOTIFY); its error is a toast."""
        self._tasks.add(task)

        def done(t: asyncio.Future[Any]) -> None:
            self._tasks.discard(t)
            exc = None if t.cancelled() else t.exception()
            if exc is not None:
                log.info("UI command failed later: %s", exc)
                for client in self._clients:
                    client.put(message("error", error=self._error(exc, client)))

        task.add_done_callback(done)

    # ---- the PhoneFrame protocol ----

    async def attach(self, phone: Any) -> None:
        self.phone = phone
        await self.start()
        phone.on("*", self._on_event)

    def configure(self, ui_options: dict[str, Any]) -> None:
        self.ui_options = dict(ui_options)
        for client in list(self._clients):  # a page opened before the phone: refresh it
            if client.ready:
                client.language = self._language(client.browser_languages)
                client.put(self._hello_message(client))
        self._broadcast_state()

    def toast(self, message_: str, title: str | None) -> None:
        if self.clients == 0:
            self._toasts.append((message_, title))  # OnLoad's toast comes before any page
            return
        for client in list(self._clients):
            if client.ready:
                self._send_toast(client, message_, title)

    def _send_toast(self, client: _Client, text: str, title: str | None) -> None:
        """A toast in the page's language when it is one of the phone's own fixed messages."""
        shown = self._retranslate(text, client.language)
        if not client.put(message("toast", message=shown,
                                  title=self._retranslate(title, client.language))):  # fmt: skip
            log.warning("a UI page is not reading: toast dropped")

    def _retranslate(self, text: str | None, language: str) -> str | None:
        phone_lang = getattr(getattr(self.phone, "translator", None), "language", language)
        if text is None or phone_lang == language:
            return text
        key = _reverse_catalogue(phone_lang).get(text)
        return text if key is None else Translator(language).t(key)

    def state_changed(self, event: str, data: dict[str, Any]) -> None:
        if event in _REGISTRATION:
            self.registration = _REGISTRATION[event]
            self._broadcast_state()

    # ---- API ----

    def set_avatar(self, data: bytes, content_type: str = "image/png") -> None:
        """Show this picture instead of the initials (at most 256 KiB, an image type)."""
        if not content_type.startswith("image/") or len(data) > 256 * 1024:
            raise SiperbError("avatar: an image of at most 256 KiB", field="avatar",
                              reason="not a small image")  # fmt: skip
        self.http.avatar = (bytes(data), content_type)
        self._broadcast(message("avatar", url="avatar?v=" + secrets.token_hex(4)))

    # ---- events to pages ----

    def _on_event(self, event: Any) -> None:
        if event.name in ("registered", "unregistered", "registration_failed"):
            self.registration = _REGISTRATION[event.name]
        try:
            sdk = event_view(event)
        except Exception:  # an event we cannot show must not stop the others
            log.exception("cannot show event %s", event.name)
            return
        if self.browser_audio is not None:
            self.browser_audio.follow(self.phone)  # a new current call takes the browser leg
        self._broadcast(message("event", sdk=sdk))
        self._broadcast_state()
        self._ring()
        if event.name == "call_recorded":
            self._spawn(self._push_history())

    @property
    def ringer_device(self) -> str | None:
        """The native device chosen as ringer (None: the page rings itself)."""
        chosen = self.chosen_devices.get("ringer")
        return chosen if chosen and chosen != BROWSER_DEVICE else None

    def _ring(self) -> None:
        """Ring the ringer device while a call is incoming; stop once none is."""
        if self.phone is not None:
            self._spawn(self.ringer.update(self.ringer_device, ringing(self.phone)))

    def _broadcast_state(self) -> None:
        if self.phone is not None and self._clients:
            self._broadcast(self._state_message())

    def _state_message(self) -> str:
        return message("state", state=snapshot(self.phone, self.registration, self.ringer_device))

    def _broadcast(self, text: str) -> None:
        for client in list(self._clients):
            if client.ready and not client.put(text):
                log.warning("a UI page is not reading: dropping it")
                self._clients.discard(client)
                self._spawn(client.connection.close(1008, "too slow"))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push_history(self) -> None:
        if self.phone is None:
            return
        result = await self.runner.op_history(self.phone, _HISTORY_FIRST_PAGE)
        self._broadcast(message("history", **result))

    async def missed_count(self) -> int:
        rows = await self.phone.history(50, "inbound")
        return sum(1 for r in rows if r.outcome == "missed"
                   and r.start_time.timestamp() > self.missed_seen_at)  # fmt: skip

    def mark_missed_seen(self) -> None:
        self.missed_seen_at = time.time()

    async def _stats_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self.phone is None or not self._clients:
                continue
            for call in self.phone.calls:
                try:
                    view = stats_view(call)
                except Exception:  # a session closing under us
                    view = None
                if view is not None:
                    self._broadcast(message("stats", **view))

    # ---- one page ----

    async def _serve_client(self, connection: Any) -> None:
        if len(self._clients) >= MAX_CLIENTS:
            await connection.close(1013, "too many pages")
            return
        client = _Client(connection)
        self._clients.add(client)
        writer = asyncio.ensure_future(self._write(client))
        try:
            async for raw in connection:
                await self._command(client, raw)
        except Exception as exc:  # the page went away
            log.debug("UI page closed: %s", exc)
        finally:
            self._clients.discard(client)
            client.put(None)
            if self.browser_audio is not None and self.browser_audio.owner is client:
                self._close_browser_audio(self.browser_audio)  # its page went away
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 2.0)

    async def _write(self, client: _Client) -> None:
        while True:
            text = await client.queue.get()
            if text is None:
                return
            await client.connection.send(text)

    async def _command(self, client: _Client, raw: str | bytes) -> None:
        try:
            cmd = parse_command(raw)
        except SiperbError as exc:
            client.put(reply_error(_id_of(raw), self._error(exc, client)))
            return
        if cmd.op == "hello":
            if self.phone is not None and not self._closed_phone():
                with contextlib.suppress(Exception):  # a closing phone has no store any more
                    self.settings["DtmfType"] = str(
                        await self.phone.settings.get("DtmfType", "info"))  # fmt: skip
            self._hello(client, cmd.get("languages") or [])
            client.put(reply(cmd.id))
            return
        if not client.ready or self.phone is None:
            why = "say hello first" if not client.ready else "no phone attached yet"
            client.put(reply_error(cmd.id, error_payload(SiperbError(
                f"UI command op: {why}", field="op", reason="not ready"))))  # fmt: skip
            return
        try:
            if cmd.op in ("browser_offer", "browser_close"):
                result = await self._browser_command(client, cmd)
            else:
                result = await self.runner.run(self.phone, cmd)
        except Exception as exc:
            if not isinstance(exc, SiperbError):
                log.exception("UI command %s failed", cmd.op)
            client.put(reply_error(cmd.id, self._error(exc, client)))
            return
        client.put(reply(cmd.id, result))
        if cmd.op == "select_device" and cmd.get("ringer") is not None:
            self._ring()
            self._broadcast_state()
        if cmd.op == "set_setting" and cmd.args["key"] == "DtmfType":
            self.settings["DtmfType"] = cmd.args["value"]
        if cmd.op == "set_setting" and cmd.args["key"] in ("Language", "UiThemeStyle"):
            self._setting_changed(cmd.args["key"], cmd.args["value"])

    async def _browser_command(self, client: _Client, cmd: Any) -> Any:
        """Open or close this page's browser audio leg (only the page that opened it owns it)."""
        self.phone.options.require("device_selector")
        audio = self.browser_audio
        if audio is None:
            raise SiperbError(f"UI command op: {cmd.op}: this frame has no browser audio",
                              field="op", reason="browser audio not enabled")  # fmt: skip
        if cmd.op == "browser_close":
            if audio.owner is client:
                self._close_browser_audio(audio)
            return None
        answer = await audio.open(client, cmd.args["sdp"], self.phone)
        audio.follow(self.phone)
        self.chosen_devices.update(input=BROWSER_DEVICE, output=BROWSER_DEVICE)
        return {"sdp": answer}

    def _close_browser_audio(self, audio: BrowserAudio) -> None:
        audio.close(self.phone)
        for key in ("input", "output"):
            if self.chosen_devices.get(key) == BROWSER_DEVICE:
                del self.chosen_devices[key]

    def _closed_phone(self) -> bool:
        return bool(getattr(self.phone, "_closed", False))

    def _hello(self, client: _Client, browser_languages: list[str]) -> None:
        """Language (the option, else the browser's), options, account, state, queued toasts."""
        client.browser_languages = list(browser_languages)
        client.language = self._language(browser_languages)
        client.ready = True
        client.put(self._hello_message(client))
        if self.phone is not None:
            client.put(self._state_message())
            self._spawn(self._push_history())
        while self._toasts:
            self._send_toast(client, *self._toasts.popleft())

    def _hello_message(self, client: _Client) -> str:
        lang = client.language
        acct = account(self.phone) if self.phone is not None else None
        return message(
            "hello", language=lang, dir="rtl" if lang in RTL_LANGUAGES else "ltr",
            messages=dict(catalogue(lang)), options=self.ui_options, account=acct,
            initials=initials(acct["display_name"]) if acct else "?",
            avatar="avatar" if self.http.avatar is not None else None,
            parent_origin=self.parent_origin, settings=dict(self.settings),
            languages={code: LANGUAGE_NAMES.get(code, code) for code in LANGUAGES},
            browser_audio=self.browser_audio is not None and self.browser_audio.available,
        )  # fmt: skip

    def _language(self, browser_languages: list[str]) -> str:
        """The settings panel's choice, else the Language option, else the browser's (auto)."""
        if self.language_override is not None:
            return self.language_override
        configured = self.phone.options.language if self.phone is not None else "auto"
        if configured != "auto":
            return str(self.ui_options.get("Language") or DEFAULT_LANGUAGE)
        for tag in browser_languages:
            found = match_language(tag)
            if found is not None:
                return found
        return DEFAULT_LANGUAGE

    def _setting_changed(self, key: str, value: str) -> None:
        if key == "UiThemeStyle":
            self.ui_options["UiThemeStyle"] = value
        else:
            self.language_override = None if value == "auto" else match_language(value)
        for client in self._clients:
            if key == "Language":
                client.language = self._language(client.browser_languages)
            client.put(self._hello_message(client))

    def _error(self, exc: BaseException, client: _Client) -> dict[str, Any]:
        """The error in the page's language (feature names translated) with its field/reason."""
        tr = Translator(client.language)
        if isinstance(exc, FeatureDisabledError):
            key = next((k for opt, k in FEATURES.values() if opt == exc.field), None)
            if key is not None:
                return error_payload(exc, tr.t("feature.disabled", feature=tr.t(key)))
        reason = exc.reason if isinstance(exc, SiperbError) else "internal error"
        return error_payload(exc, tr.t("ui.error.generic", reason=reason or ""))


@cache
def _reverse_catalogue(language: str) -> dict[str, str]:
    """Text -> key for the messages without parameters (a toast the phone already translated)."""
    return {text: key for key, text in catalogue(language).items() if not placeholders(text)}


def _id_of(raw: str | bytes) -> int | None:
    """The id of a refused command when it has one (so the page can match the reply)."""
    with contextlib.suppress(Exception):
        cid = json.loads(raw).get("id")
        if isinstance(cid, int) and not isinstance(cid, bool):
            return cid
    return None


_HISTORY_FIRST_PAGE = parse_command('{"id": 0, "op": "history", "limit": 20}')

__all__ = ["MAX_CLIENTS", "WebFrame"]
