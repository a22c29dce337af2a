"""A loopback SIP service for the demo: registrar + echo peer over SIP-over-WebSocket (RFC 7118).

No outside PBX needed: :class:`LoopbackService` listens on ``ws://127.0.0.1:<port>/ws`` (the
``websockets`` server, subprotocol ``sip``) and speaks SIP with siperb's own parser, builder and
transaction layer:

- ``REGISTER``: a 401 Digest challenge (MD5, qop=auth), then, with the right password (checked
  with :func:`siperb.sip.auth.digest_response`), 200 with the bound Contact and its expiry;
  ``Expires: 0`` removes it. A wrong password is challenged again with the same nonce (which a
  client reads as "credentials refused"); an unknown or expired nonce gets ``stale=true``.
- ``INVITE`` to ``echo``: a 407 challenge first, like a real proxy, then an in-process echo UA
  answers. The echo is a :class:`~siperb.sip.useragent.UserAgent` on the server side of the
  connection, so it does everything a siperb UA does in a dialog (re-INVITE hold/resume, INFO
  DTMF, BYE, CANCEL). Its media is a :class:`~siperb.sip.session.MediaHandler` from
  ``media_factory``: by default :class:`~siperb.media.EchoMedia` (sends back the
  audio it receives) when the engine is built, else :class:`~siperb.media.SdpOnlyMedia`.
- ``OPTIONS`` to the service (no user part) or to ``echo``: 200 with Allow/Accept/Supported.
- ``INVITE`` to ``callback``: refused with 480 ("calling you back"), then, after
  ``callback_delay`` seconds, the echo peer calls the authenticated caller back, so incoming
  calls (``OnIncomingCall``, ``siperb listen``) can be tried without a PBX. An application or
  test can do the same at any time with :meth:`LoopbackService.call`.
- Anything for another user: 404 (the demo relays no calls between accounts).

One echo UA per WebSocket connection, so its in-dialog requests (a BYE on shutdown) go back on
the connection the call came in on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .._version import __version__
from ..errors import AuthenticationError
from ..events import Event, EventHub
from ..media import EchoMedia, SdpOnlyMedia, engine_available
from ..sip import Message
from ..sip.auth import DigestChallenge, digest_response
from ..sip.session import InviteSession, MediaHandler
from ..sip.transaction import ServerTransaction, Timers, TransactionLayer
from ..sip.transport import Endpoint, Flow, TransportKind
from ..sip.useragent import UserAgent, UserAgentConfig
from ..sip.websocket import WebSocketFlow

log = logging.getLogger("siperb.demo.service")

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-secret"
ECHO_USER = "echo"
CALLBACK_USER = "callback"
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER, MESSAGE"


@dataclass
class Binding:
    """One registered Contact of an account."""

    user: str
    contact: str  # the Contact URI as sent
    flow: Flow
    expires_at: float

    def remaining(self, now: float) -> int:
        return max(0, round(self.expires_at - now))


class ServerWebSocketFlow(WebSocketFlow):
    """The server end of a SIP WebSocket connection (sends like the client flow does)."""

    @classmethod
    def accepted(cls, connection: Any, kind: TransportKind) -> ServerWebSocketFlow:
        remote = Endpoint(str(connection.remote_address[0]), int(connection.remote_address[1]))
        flow = cls(kind, f"{kind.value.lower()}://{remote}", None)
        flow._ws = connection
        flow.local = Endpoint(str(connection.local_address[0]),
                              int(connection.local_address[1]))  # fmt: skip
        flow.remote = remote
        flow._writer = asyncio.get_running_loop().create_task(flow._write_loop())
        return flow

    async def serve(
        self,
        on_message: Callable[[Message, Flow], None],
        on_close: Callable[[Flow, BaseException | None], None],
    ) -> None:
        """Deliver messages until the connection ends (the handler's lifetime)."""
        await self._read(on_message, on_close, None)


class _EchoUserAgent(UserAgent):
    """The echo peer: a UA whose Via/Contact name the service, not a ``.invalid`` host."""

    def __init__(self, config: UserAgentConfig, sent_by: str, events: EventHub):
        super().__init__(config, events=events)
        self._sent_by = sent_by

    def sent_by(self) -> str:
        return self._sent_by


class LoopbackService:
    """Registrar + echo peer on loopback; ``async with LoopbackService() as svc: svc.url``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/ws",
        domain: str | None = None,
        accounts: Mapping[str, str] | None = None,
        echo_user: str = ECHO_USER,
        callback_user: str = CALLBACK_USER,
        callback_delay: float = 1.0,
        media_factory: Callable[[UserAgent], MediaHandler] | None = None,
        timers: Timers | None = None,
        max_expires: int = 3600,
        nonce_lifetime: float = 300.0,
    ):
        self.host = host
        self.port = port
        self.path = "/" + path.lstrip("/")
        self.domain = domain or host
        self.realm = self.domain
        self.accounts = dict(accounts if accounts is not None else {DEMO_USER: DEMO_PASSWORD})
        self.echo_user = echo_user
        self.callback_user = callback_user
        self.callback_delay = callback_delay
        self.media_factory = media_factory or self._default_media
        self.timers = timers or Timers()
        self.max_expires = max_expires
        self.nonce_lifetime = nonce_lifetime
        self.events = EventHub()
        self.bindings: dict[str, list[Binding]] = {}
        self.echo_calls: list[InviteSession] = []  # every call the echo peer took, oldest first
        self.counts: dict[str, int] = {}  # requests received, by method
        self._nonces: dict[str, float] = {}  # nonce -> issued at
        self._nc: dict[str, int] = {}  # nonce -> highest nonce count seen
        self._echoes: dict[Flow, _EchoUserAgent] = {}
        self._layer: TransactionLayer | None = None
        self._server: Any = None
        self._callbacks: set[asyncio.Task[Any]] = set()

    def _default_media(self, ua: UserAgent) -> MediaHandler:
        """The echo peer's media: audio sent back (EchoMedia) with the engine, else SDP only."""
        if engine_available():
            return EchoMedia(self.host)
        return SdpOnlyMedia(self.host)

    # ---- lifecycle ----

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}{self.path}"

    async def start(self) -> LoopbackService:
        from websockets.asyncio.server import serve

        self.events.bind(asyncio.get_running_loop())
        self._layer = TransactionLayer(self._on_request, self._on_stray, self.timers)
        self._server = await serve(
            self._handle, self.host, self.port, subprotocols=["sip"],  # type: ignore[list-item]
            process_request=self._check_path, compression=None, max_size=2**20,
        )  # fmt: skip
        sock = next(iter(self._server.sockets))
        self.port = int(sock.getsockname()[1])
        log.info("loopback SIP service on %s", self.url)
        return self

    async def close(self) -> None:
        for task in list(self._callbacks):
            task.cancel()
        for echo in list(self._echoes.values()):
            await self._drop_echo(echo)
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5.0)
        if self._layer is not None:
            self._layer.close()
        await self.events.aclose()

    async def __aenter__(self) -> LoopbackService:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _check_path(self, connection: Any, request: Any) -> Any:
        if request.path.split("?", 1)[0] != self.path:
            return connection.respond(HTTPStatus.NOT_FOUND, f"SIP is served on {self.path}\n")
        return None

    async def _handle(self, connection: Any) -> None:
        flow = ServerWebSocketFlow.accepted(connection, TransportKind.WS)
        await flow.serve(self._on_message, self._on_close)

    def _on_message(self, message: Message, flow: Flow) -> None:
        assert self._layer is not None
        try:
            self._layer.receive(message, flow)
        except Exception:
            log.exception("failed to handle a %s", message.method or message.status)

    def _on_close(self, flow: Flow, exc: BaseException | None) -> None:
        for user, bindings in list(self.bindings.items()):
            kept = [b for b in bindings if b.flow is not flow]
            if len(kept) != len(bindings):
                self._set_bindings(user, kept)
        echo = self._echoes.get(flow)
        if echo is not None:
            asyncio.get_running_loop().create_task(self._drop_echo(echo))

    async def _drop_echo(self, echo: _EchoUserAgent) -> None:
        """End the echo's calls (the BYE goes out if the connection is still up).

        The echo stays the flow's until then: a BYE waits for the ACK of the echo's last 2xx
        (RFC 3261 15.1.1), and that ACK must still find the echo's dialog."""
        for call in list(echo.calls):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(call.hangup(), 2.0)
        if echo.flow is not None and self._echoes.get(echo.flow) is echo:
            del self._echoes[echo.flow]

    # ---- routing ----

    def _on_request(self, request: Message, tx: ServerTransaction) -> None:
        method = request.method or ""
        self.counts[method] = self.counts.get(method, 0) + 1
        to_tag = request.to.tag if request.to is not None else None
        if method == "REGISTER":
            self._register(request, tx)
            return
        if to_tag or method in ("ACK", "CANCEL"):
            # In-dialog: the echo's dialogs.
            self._echo_for(tx.flow).router.on_request(request, tx)
            return
        user = request.uri.user if request.uri is not None else None
        if not user:
            if method == "OPTIONS":
                tx.respond(200, "OK", [("Allow", ALLOW), ("Accept", "application/sdp"),
                                       ("Supported", "path, outbound")])  # fmt: skip
            else:
                tx.respond(405, "Method Not Allowed", [("Allow", "REGISTER, OPTIONS")])
            return
        if user == self.callback_user and method == "INVITE":
            self._callback(request, tx)
            return
        if user != self.echo_user:
            tx.respond(404, "Not Found", [("Warning", f'399 siperb "only {self.echo_user} '
                                                      'answers here"')])  # fmt: skip
            return
        if method == "INVITE" and self._authenticate(request, tx, proxy=True) is None:
            return
        self._echo_for(tx.flow).router.on_request(request, tx)

    def _callback(self, request: Message, tx: ServerTransaction) -> None:
        """Refuse the call, then have the echo call the (authenticated) caller back."""
        caller = self._authenticate(request, tx, proxy=True)
        if caller is None:
            return
        warning = f'399 siperb "calling you back in {self.callback_delay:g} s"'
        tx.respond(480, "Temporarily Unavailable", [("Warning", warning)])

        async def later() -> None:
            await asyncio.sleep(self.callback_delay)
            try:
                await self.call(caller)
            except LookupError:
                log.warning("cannot call %s back: not registered", caller)

        task = asyncio.get_running_loop().create_task(later())
        self._callbacks.add(task)
        task.add_done_callback(self._callbacks.discard)

    async def call(self, user: str) -> InviteSession:
        """The echo peer calls ``user`` at its newest registered Contact (for incoming calls).

        The session is returned at once (ringing); once answered it echoes like any echo call.
        :class:`LookupError` if ``user`` has no binding.
        """
        bindings = self.registered(user)
        if not bindings:
            raise LookupError(f"{user} is not registered here")
        binding = bindings[-1]
        echo = self._echo_for(binding.flow)
        call = await echo.call(binding.contact)
        self.echo_calls.append(call)
        return call

    def _on_stray(self, message: Message, flow: Flow) -> None:
        echo = self._echoes.get(flow)
        if echo is not None:
            echo.router.on_stray(message, flow)  # an ACK for the echo's 2xx

    def _echo_for(self, flow: Flow) -> _EchoUserAgent:
        echo = self._echoes.get(flow)
        if echo is None:
            config = UserAgentConfig(
                aor=f"sip:{self.echo_user}@{self.domain}", proxy=self.url,
                media_factory=self.media_factory, auto_answer=lambda call: True,
                timers=self.timers, keepalive_interval=None, outbound=False,
                user_agent=f"siperb-demo-echo/{__version__}",
            )  # fmt: skip
            echo = _EchoUserAgent(config, f"{self.host}:{self.port}", self.events)
            echo.layer = self._layer
            echo.flow = flow
            echo.connected.set()
            echo.events.on("incoming_call", self._took_call)
            self._echoes[flow] = echo
        return echo

    def _took_call(self, ev: Event) -> None:
        call = ev["call"]
        if call not in self.echo_calls:
            self.echo_calls.append(call)

    # ---- registrar ----

    def _register(self, request: Message, tx: ServerTransaction) -> None:
        user = self._authenticate(request, tx, proxy=False)
        if user is None:
            return
        aor_user = request.to.uri.user if request.to is not None else None
        if aor_user != user:
            tx.respond(403, "Forbidden", [("Warning", '399 siperb "To does not match the '
                                                      'authenticated user"')])  # fmt: skip
            return
        now = time.monotonic()
        header_expires = request.expires
        bindings = [b for b in self.bindings.get(user, []) if b.expires_at > now]
        for contact in request.contact:
            asked = contact.expires if contact.expires is not None else header_expires
            expires = min(self.max_expires, 3600 if asked is None else asked)
            raw = contact.uri.raw
            bindings = [b for b in bindings if b.contact != raw]
            if expires > 0:
                bindings.append(Binding(user, raw, tx.flow, now + expires))
        if request.contact_star and header_expires == 0:
            bindings = []
        self._set_bindings(user, bindings)
        contacts = [("Contact", f"<{b.contact}>;expires={b.remaining(now)}") for b in bindings]
        tx.respond(200, "OK", [*contacts, ("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                                  time.gmtime()))])  # fmt: skip

    def _set_bindings(self, user: str, bindings: list[Binding]) -> None:
        before = bool(self.bindings.get(user))
        if bindings:
            self.bindings[user] = bindings
        else:
            self.bindings.pop(user, None)
        if bindings and not before:
            self.events.emit("registered", user=user, contacts=[b.contact for b in bindings])
        elif before and not bindings:
            self.events.emit("unregistered", user=user)

    def registered(self, user: str) -> list[Binding]:
        now = time.monotonic()
        return [b for b in self.bindings.get(user, []) if b.expires_at > now]

    # ---- digest authentication (RFC 7616 as used by SIP) ----

    def _challenge(self, tx: ServerTransaction, *, proxy: bool, nonce: str | None = None,
                   stale: bool = False) -> None:  # fmt: skip
        if nonce is None:
            nonce = secrets.token_hex(16)
            self._nonces[nonce] = time.monotonic()
        value = f'Digest realm="{self.realm}", nonce="{nonce}", qop="auth", algorithm=MD5'
        if stale:
            value += ", stale=true"
        if proxy:
            tx.respond(407, "Proxy Authentication Required", [("Proxy-Authenticate", value)])
        else:
            tx.respond(401, "Unauthorized", [("WWW-Authenticate", value)])

    def _authenticate(self, request: Message, tx: ServerTransaction, *, proxy: bool) -> str | None:
        """The authenticated user, or None after sending the challenge."""
        now = time.monotonic()
        for nonce, issued in list(self._nonces.items()):
            if now - issued > self.nonce_lifetime:
                del self._nonces[nonce]
                self._nc.pop(nonce, None)
        offered = request.proxy_authorization if proxy else request.authorization
        for creds in offered:
            if creds.scheme.lower() != "digest":
                continue
            p = {k.lower(): v for k, v in creds.params.items()}
            if p.get("realm") != self.realm:
                continue
            nonce = p.get("nonce", "")
            if nonce not in self._nonces:
                self._challenge(tx, proxy=proxy, stale=True)
                return None
            user = p.get("username", "")
            if self._verify(request, p, user):
                return user
            self._challenge(tx, proxy=proxy, nonce=nonce)  # same nonce: credentials refused
            return None
        self._challenge(tx, proxy=proxy)
        return None

    def _verify(self, request: Message, p: Mapping[str, str], user: str) -> bool:
        password = self.accounts.get(user)
        if password is None:
            return False
        nonce, qop = p["nonce"], p.get("qop") or None
        try:
            nc = int(p.get("nc", "0"), 16) if qop else 0
            expected = digest_response(
                DigestChallenge(self.realm, nonce, p.get("algorithm", "MD5").upper(),
                                (qop,) if qop else ()),
                method=request.method or "", uri=p.get("uri", ""), username=user,
                password=password, qop=qop, nc=nc, cnonce=p.get("cnonce", ""),
                body=request.body,
            )  # fmt: skip
        except (AuthenticationError, ValueError):
            return False
        if not hmac.compare_digest(expected, p.get("response", "")):
            return False
        if qop:
            if nc <= self._nc.get(nonce, 0):
                return False  # a replayed nonce count
            self._nc[nonce] = nc
        return True


async def serve_forever(**kwargs: Any) -> None:
    """Run a service until cancelled (``python -m siperb.demo``)."""
    async with LoopbackService(**kwargs) as service:
        print(f"loopback SIP service on {service.url}; accounts: "
              f"{', '.join(service.accounts)}; call '{service.echo_user}', or "
              f"'{service.callback_user}' to be called back", flush=True)  # fmt: skip
        await asyncio.Event().wait()


__all__ = [
    "CALLBACK_USER",
    "DEMO_PASSWORD",
    "DEMO_USER",
    "ECHO_USER",
    "Binding",
    "LoopbackService",
    "ServerWebSocketFlow",
    "serve_forever",
]
