"""The SIP user agent: one account's transport, transactions, registration, calls and messages.

:class:`UserAgent` owns a connection to its outbound proxy (UDP, TCP, TLS, WS or WSS), the
transaction layer and every dialog. It routes what arrives: a new INVITE becomes an inbound
:class:`~siperb.sip.call.Call` (``incoming_call`` event), in-dialog requests go to their call or
subscription (481 when there is none), OPTIONS is answered with our capabilities, MESSAGE and
out-of-dialog NOTIFY become events, malformed requests get a 400 naming the parse error. Stream
and WebSocket connections are kept alive, re-opened with backoff when they die, and the
registration is refreshed after each reconnect. A proxy given as a domain name is located with
RFC 3263 (NAPTR, SRV, A/AAAA; :mod:`siperb.sip.resolver`): the UA connects to the best target
and fails over to the next one when a connection fails or a request times out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..errors import SiperbError, TransportError
from ..events import EventHub
from . import Message, Request, Response, Uri
from .auth import Credentials, DigestChallenge, DigestClient
from .resolver import Resolver, ServerTarget
from .session import MediaHandler
from .transaction import (
    ClientTransaction,
    ServerTransaction,
    Timers,
    TransactionLayer,
    TransactionTimeout,
    cseq_of,
    new_branch,
)
from .transport import (
    Endpoint,
    Flow,
    StreamFlow,
    TraceHook,
    TransportKind,
    UdpEndpoint,
    WebSocketFlow,
    client_ssl_context,
)

log = logging.getLogger("siperb.sip.ua")

DialogKey = tuple[str, str, str]  # (Call-ID, local tag, remote tag)


class DialogUser(Protocol):
    """What owns a dialog (a call or a subscription) and receives its in-dialog traffic."""

    def on_request(self, request: Message, tx: ServerTransaction) -> None: ...
    def on_ack(self, ack: Message) -> None: ...
    def on_stray_response(self, response: Message) -> None: ...


@dataclass
class UserAgentConfig:
    """One account. ``proxy`` is a SIP URI (``sip:host:port;transport=tcp``) or a WS(S) URL.

    ``extra_headers`` maps a method (``"REGISTER"``, ``"INVITE"``, ``"*"`` for every initial
    request) to headers added to it: the Siperb Proxy mode puts ``X-Siperb-Sid``,
    ``X-Siperb-Uid`` and ``Authorization: Bearer ...`` there.
    """

    aor: str
    proxy: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    credentials: list[Credentials] = field(default_factory=list)
    display_name: str | None = None
    registrar: str | None = None  # default: the AoR's domain
    local_host: str | None = None
    local_port: int = 0
    expires: int = 600
    instance_id: str | None = None  # "urn:uuid:..." for RFC 5626 +sip.instance
    reg_id: int = 1
    outbound: bool | None = None  # RFC 5626 ";ob"; default: on for WS/WSS
    tls_ca_file: str | None = None
    tls_verify: bool = True
    timers: Timers = field(default_factory=Timers)
    keepalive_interval: float | None = 30.0
    pong_timeout: float = 10.0
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    register_retry_min: float = 1.0
    register_retry_max: float = 60.0
    extra_headers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    user_agent: str = "siperb/0.1"
    send_ringing: bool = True  # answer a new INVITE with 180 at once
    #: Builds each call's media from the UA (see :meth:`UserAgent.media_host`);
    #: :func:`siperb.media.media_factory` gives real audio. Without one the UA places no calls
    #: and answers INVITEs with 503: the signalling stack never picks a media implementation.
    media_factory: Callable[[UserAgent], MediaHandler] | None = None
    auto_answer: Callable[[Any], bool] | None = None  # Call -> answer it now?
    trace: TraceHook | None = None
    #: DNS servers for RFC 3263 lookups ("ip" or "ip:port"); None: the system's.
    dns_servers: list[str] | None = None
    dns_timeout: float = 3.0

    def __post_init__(self) -> None:
        if self.outbound is None:
            self.outbound = self.proxy.lower().startswith(("ws:", "wss:"))


@dataclass(frozen=True)
class ProxyTarget:
    kind: TransportKind
    endpoint: Endpoint
    url: str | None = None  # WS(S) only
    hostname: str | None = None  # for TLS SNI / certificate checks


def parse_proxy(proxy: str) -> ProxyTarget:
    """Where to connect for ``proxy`` (a SIP/SIPS URI or a ws:// / wss:// URL)."""
    lower = proxy.lower()
    if lower.startswith(("ws://", "wss://")):
        parts = urlsplit(proxy)
        kind = TransportKind.WSS if lower.startswith("wss:") else TransportKind.WS
        host = parts.hostname or ""
        return ProxyTarget(kind, Endpoint(host, parts.port or kind.default_port), proxy, host)
    uri = Uri.parse(proxy if ":" in proxy.split(";")[0] else f"sip:{proxy}")
    param = uri.param("transport")
    kind = (
        TransportKind.parse(param)
        if param
        else (TransportKind.TLS if uri.scheme == "sips" else TransportKind.UDP)
    )
    host = (uri.host or "").strip("[]")
    port = uri.port or kind.default_port
    if kind in (TransportKind.WS, TransportKind.WSS):
        scheme = "wss" if kind is TransportKind.WSS else "ws"
        url = f"{scheme}://{Endpoint(host, port).uri_host}:{port}/ws"
        return ProxyTarget(kind, Endpoint(host, port), url, host)
    return ProxyTarget(kind, Endpoint(host, port), None, host)


_HEADER_LINE = re.compile(rb"^([A-Za-z][A-Za-z0-9.!%*_+`'~-]*)[ \t]*:[ \t]*(.*)$")
_COMPACT = {b"v": b"via", b"f": b"from", b"t": b"to", b"i": b"call-id"}


def bad_request_for(data: bytes, reason: str) -> Message | None:
    """A 400 for an unparseable request, from its raw Via/From/To/Call-ID/CSeq; None if not
    even those can be found (then the datagram is dropped)."""
    head = data.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n")
    if not head or head[0].startswith(b"SIP/") or head[0].startswith(b"ACK "):
        return None
    found: dict[bytes, list[bytes]] = {}
    for line in head[1:]:
        m = _HEADER_LINE.match(line.strip(b"\r"))
        if m:
            name = m.group(1).lower()
            found.setdefault(_COMPACT.get(name, name), []).append(m.group(2).strip())
    wanted = (b"via", b"from", b"to", b"call-id", b"cseq")
    if not all(found.get(n) for n in wanted):
        return None
    phrase = re.sub(r"[^\x20-\x7e]", " ", reason)[:120].strip() or "Bad Request"
    headers = [("Via", v.decode("utf-8", "replace")) for v in found[b"via"]]
    headers += [
        (n.decode().title().replace("Call-Id", "Call-ID").replace("Cseq", "CSeq"),
         found[n][0].decode("utf-8", "replace"))
        for n in wanted[1:]
    ]  # fmt: skip
    try:
        return Response(400, phrase, headers)
    except SiperbError:
        pass
    # The CSeq itself is what is broken: answer with the request line's method so the client
    # can still see why (it may not match the response to its transaction).
    method = head[0].split(b" ", 1)[0].decode("ascii", "replace")
    digits = re.sub(r"\D", "", found[b"cseq"][0].decode("ascii", "replace"))[:9] or "0"
    headers = [(n, f"{digits} {method}" if n == "CSeq" else v) for n, v in headers]
    try:
        return Response(400, phrase, headers)
    except SiperbError:
        return None


class UserAgent:
    """A SIP phone for one account; see the module docstring for what it handles."""

    ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, MESSAGE, SUBSCRIBE"
    ACCEPT = "application/sdp, application/dtmf-relay, message/sipfrag, text/plain, " + (
        "application/simple-message-summary"
    )
    SUPPORTED = "replaces, norefersub, outbound, path"

    def __init__(self, config: UserAgentConfig, *, events: EventHub | None = None):
        self.config = config
        self.events = events or EventHub()
        self.aor = Uri.parse(config.aor)
        creds = list(config.credentials)
        if config.password is not None:
            creds.append(Credentials(config.username or self.aor.user or "", config.password))
        self.auth = DigestClient(creds)
        self.target = parse_proxy(config.proxy)
        self.resolver = Resolver(config.dns_servers, timeout=config.dns_timeout)
        #: Where the proxy was located (RFC 3263), best first; ``flow`` goes to one of them.
        self.targets: list[ServerTarget] = []
        self.target_index = 0
        self.failovers = 0
        self.layer: TransactionLayer | None = None
        self.flow: Flow | None = None
        self._udp: UdpEndpoint | None = None
        self._failover_lock = asyncio.Lock()
        self._ws_host = f"{secrets.token_hex(6)}.invalid"
        self._dialogs: dict[DialogKey, DialogUser] = {}
        self._pending_subscriptions: dict[tuple[str, str], Any] = {}
        # Initial INVITEs we sent, by (Call-ID, From tag), for 2xx from other forks (13.2.2.4),
        # and the ACKs sent for those forks' 2xx (re-sent for their retransmissions).
        self._sent_invites: dict[tuple[str, str], tuple[float, ClientTransaction]] = {}
        self._fork_acks: dict[DialogKey, tuple[float, Message]] = {}
        self.calls: list[Any] = []  # live Call objects, oldest first
        self.registration: Any = None
        self.connected = asyncio.Event()
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.reconnects = 0

    # ---- lifecycle ----

    async def start(self, *, register: bool = True, wait: bool = True) -> None:
        """Connect, and register (waiting for the first result when ``wait``)."""
        self.layer = TransactionLayer(self._on_request, self._on_stray, self.config.timers)
        await self._connect()
        if register:
            from .registration import Registration

            self.registration = Registration(
                self, self.config.expires, retry_min=self.config.register_retry_min,
                retry_max=self.config.register_retry_max,
            )  # fmt: skip
            if wait:
                await self.registration.register()
            if wait:
                self._refresh_later()
            else:
                self.registration.start()

    def _refresh_later(self) -> None:
        """After a successful first REGISTER, the refresher's first run is the refresh."""
        reg = self.registration
        granted = reg.granted or reg.requested_expires

        async def later() -> None:
            await asyncio.sleep(max(1.0, granted * reg.refresh_ratio))
            reg.start()

        self.spawn(later())

    async def close(self) -> None:
        """Hang up calls, unregister, and close the transport."""
        self._closing = True
        for call in list(self.calls):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(call.hangup(), 2.0)
        if self.registration is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.registration.close(), 5.0)
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self.layer is not None:
            self.layer.close()
        if self.flow is not None and self.flow.kind is not TransportKind.UDP:
            self.flow.close()
        if self._udp is not None:
            self._udp.close()

    async def __aenter__(self) -> UserAgent:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """A background task that is kept referenced, logged on failure, cancelled on close."""

        async def run() -> Any:
            try:
                return await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task failed")
                return None

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ---- transport ----

    async def locate(self) -> list[ServerTarget]:
        """Where the proxy is: RFC 3263 for SIP URIs, the URL's host for WS(S) URLs."""
        t = self.target
        if self._ws_url_proxy():
            # The URL is used as given (its host names the TLS peer and the Host header).
            return [ServerTarget(t.kind, t.endpoint, t.hostname or t.endpoint.host)]
        proxy = self.config.proxy
        return await self.resolver.resolve(proxy if ":" in proxy.split(";")[0] else f"sip:{proxy}")

    def _ws_url_proxy(self) -> bool:
        return self.config.proxy.lower().startswith(("ws:", "wss:"))

    async def _connect(self, start: int = 0, targets: list[ServerTarget] | None = None) -> None:
        """Connect to the first target (from ``start``) that accepts; re-locates by default."""
        if targets is None:
            targets = await self.locate()
        error: BaseException | None = None
        for index in range(start, len(targets)):
            try:
                await self._open(targets[index])
            except (TransportError, OSError) as exc:
                log.info("cannot reach %s: %s", targets[index].endpoint, exc)
                error = exc
                continue
            self.targets, self.target_index = targets, index
            return
        if isinstance(error, TransportError):
            raise error
        raise TransportError(f"cannot reach {self.config.proxy}: {error}", field="connect",
                             reason=str(error)) from error  # fmt: skip

    async def _open(self, target: ServerTarget) -> None:
        t = self.target
        cfg = self.config
        kind = target.kind
        remote = target.endpoint
        if kind is TransportKind.UDP:
            if self._udp is not None and (":" in self._udp.local.host) != (":" in remote.host):
                self._udp.close()  # the next target is of the other address family
                self._udp = None
            if self._udp is None:
                local = cfg.local_host or ("::1" if ":" in remote.host else "127.0.0.1")
                self._udp = await UdpEndpoint.bind(
                    local, cfg.local_port, self._on_message, cfg.trace, self._on_malformed
                )
            self.flow = self._udp.flow(remote)
        elif kind in (TransportKind.TCP, TransportKind.TLS):
            ctx = (
                client_ssl_context(cfg.tls_ca_file, verify=cfg.tls_verify)
                if kind is TransportKind.TLS
                else None
            )
            self.flow = await StreamFlow.connect(
                kind, remote, self._on_message, on_close=self._on_close, ssl_context=ctx,
                server_hostname=target.hostname, trace=cfg.trace,
                keepalive_interval=cfg.keepalive_interval, pong_timeout=cfg.pong_timeout,
            )  # fmt: skip
        else:
            ctx = (
                client_ssl_context(cfg.tls_ca_file, verify=cfg.tls_verify)
                if kind is TransportKind.WSS
                else None
            )
            if self._ws_url_proxy() and t.url is not None:
                url, sni = t.url, None
            else:  # a SIP URI with transport=ws, or a D2W target from DNS: its address
                scheme = "wss" if kind is TransportKind.WSS else "ws"
                path = (urlsplit(t.url).path if t.url else "") or "/ws"
                url = f"{scheme}://{remote.uri_host}:{remote.port}{path}"
                sni = target.hostname if kind is TransportKind.WSS else None
            self.flow = await WebSocketFlow.connect(
                url, self._on_message, on_close=self._on_close,
                on_malformed=self._on_malformed, ssl_context=ctx, trace=cfg.trace,
                ping_interval=cfg.keepalive_interval, server_hostname=sni,
            )  # fmt: skip
        self.connected.set()
        local = str(self.flow.local)
        self.events.emit("transport", state="connected", kind=kind.value, local=local,
                         remote=str(self.flow.remote))  # fmt: skip

    async def failover(self, failed: Flow) -> bool:
        """The target behind ``failed`` did not answer (RFC 3263 4.3): move to the next one.
        Returns whether there is a flow to retry on (another task may have moved already)."""
        async with self._failover_lock:
            if self._closing:
                return False
            if self.flow is not failed and self.flow is not None and not self.flow.closed:
                return True
            if self.target_index + 1 >= len(self.targets):
                return False
            old = self.flow
            try:
                await self._connect(self.target_index + 1, self.targets)
            except TransportError as exc:
                log.info("failover from %s found no target: %s", failed.remote, exc)
                return False
            self.failovers += 1
            if old is not None and old.kind.reliable:
                old.close()
            self.events.emit(
                "transport",
                state="failover",
                kind=self._require_flow().kind.value,
                remote=str(self._require_flow().remote),
                previous=str(failed.remote),
            )
            return True

    def _on_close(self, flow: Flow, exc: BaseException | None) -> None:
        if flow is not self.flow or self._closing:
            return
        self.connected.clear()
        self.events.emit("transport", state="lost", kind=flow.kind.value,
                         reason=str(exc) if exc else "closed")  # fmt: skip
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = self.config.reconnect_min
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self._connect()
            except (TransportError, OSError) as exc:
                log.info("reconnect failed: %s; next try in %.1fs", exc, delay)
                delay = min(self.config.reconnect_max, delay * 2)
                continue
            self.reconnects += 1
            if self.registration is not None:
                self.registration.start()
                self.registration.refresh_now()
            return

    def _require_flow(self) -> Flow:
        if self.flow is None or self.flow.closed:
            raise TransportError("not connected to the proxy", field="flow")
        return self.flow

    # ---- addressing ----

    def sent_by(self) -> str:
        flow = self._require_flow()
        if flow.kind in (TransportKind.WS, TransportKind.WSS):
            return self._ws_host
        return str(flow.local)

    def via(self, branch: str | None = None) -> str:
        kind = self._require_flow().kind.value
        return f"SIP/2.0/{kind} {self.sent_by()};branch={branch or new_branch()};rport"

    def contact_uri(self) -> Uri:
        flow = self._require_flow()
        user = self.aor.user or "siperb"
        params = f";transport={flow.kind.uri_param}"
        if self.config.outbound:
            params += ";ob"
        return Uri.parse(f"sip:{user}@{self.sent_by()}{params}")

    def contact(self, *, register: bool = False) -> str:
        value = f"<{self.contact_uri().raw}>"
        if register and self.config.instance_id:
            value += f';+sip.instance="<{self.config.instance_id}>"'
            if self.config.outbound:
                value += f";reg-id={self.config.reg_id}"
        return value

    def local_name_addr(self) -> str:
        name = self.config.display_name
        quoted = '"' + name.replace('"', "") + '" ' if name else ""
        return f"{quoted}<{self.aor.raw}>"

    def registrar_uri(self) -> str:
        return self.config.registrar or f"sip:{self.aor.host}"

    def extra_headers(self, method: str) -> list[tuple[str, str]]:
        extra = self.config.extra_headers
        return [*extra.get("*", []), *extra.get(method, [])]

    @staticmethod
    def request(method: str, uri: str, headers: Sequence[tuple[str, str]],
                body: bytes = b"") -> Message:  # fmt: skip
        return Request(method, uri, list(headers), body)

    def new_request(
        self,
        method: str,
        target: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes = b"",
        *,
        call_id: str | None = None,
        from_tag: str | None = None,
        cseq: int = 1,
        to: str | None = None,
    ) -> Message:
        """An out-of-dialog request (8.1.1) from our AoR to ``target``."""
        out = [
            ("Via", self.via()),
            ("Max-Forwards", "70"),
            ("From", f"{self.local_name_addr()};tag={from_tag or secrets.token_hex(6)}"),
            ("To", to or f"<{target}>"),
            ("Call-ID", call_id or secrets.token_hex(12)),
            ("CSeq", f"{cseq} {method}"),
            ("User-Agent", self.config.user_agent),
            *headers,
            *self.extra_headers(method),
        ]
        return Request(method, target, out, body)

    def normalize_target(self, target: str) -> str:
        """``"1001"`` -> ``sip:1001@<our domain>``; full URIs stay."""
        if target.lower().startswith(("sip:", "sips:", "tel:")):
            return target
        if "@" in target:
            return f"sip:{target}"
        return f"sip:{target}@{self.aor.host}"

    # ---- sending ----

    def send_request(
        self, request: Message, on_provisional: Callable[[Message], None] | None = None
    ) -> ClientTransaction:
        assert self.layer is not None, "UserAgent.start() first"
        return self.layer.start_client(request, self._require_flow(), on_provisional)

    async def send_authenticated(
        self,
        build: Callable[[], Message],
        on_provisional: Callable[[Message], None] | None = None,
        on_transaction: Callable[[ClientTransaction], None] | None = None,
    ) -> Message:
        """Send ``build()``; on 401/407 answer the challenge and send ``build()`` again (its
        CSeq goes up) with the credentials. Returns the final response (a 401/407 when the
        credentials are wrong or missing)."""
        request = build()
        attempt = failovers = 0
        while attempt < 3:
            tx = self.send_request(request, on_provisional)
            if on_transaction is not None:
                on_transaction(tx)
            try:
                response = await tx.final
            except TransportError as exc:
                # RFC 3263 4.3: a timeout or transport failure moves to the next server.
                if not isinstance(exc, TransactionTimeout) and not tx.flow.closed:
                    raise
                failovers += 1
                if failovers > len(self.targets) or not await self.failover(tx.flow):
                    raise
                request = build()
                continue
            status = response.status or 0
            if status not in (401, 407):
                return response
            challenges = [
                DigestChallenge.from_params(c.params, proxy=status == 407)
                for c in (
                    response.www_authenticate if status == 401 else response.proxy_authenticate
                )
                if c.scheme.lower() == "digest"
            ]
            auth = self.auth.authorize(
                challenges,
                method=request.method or "",
                uri=str(request.uri),
                body=request.body,
                first=attempt == 0,
            )
            attempt += 1
            if auth is None:
                return response
            request = build()
            for name in {n for n, _ in auth}:
                request = request.without_header(name)
            for name, value in auth:
                request = request.with_added_header(name, value)
        return response

    # ---- receiving ----

    def _on_message(self, message: Message, flow: Flow) -> None:
        assert self.layer is not None
        try:
            self.layer.receive(message, flow)
        except SiperbError as exc:  # a header that only fails when read (lazy parsing)
            self._reject_malformed(message, flow, exc)
        except Exception:
            log.exception("failed to handle a %s", message.method or message.status)

    def _reject_malformed(self, message: Message, flow: Flow, exc: SiperbError) -> None:
        if message.is_request and message.method != "ACK":
            response = bad_request_for(bytes(message), exc.reason or str(exc))
            if response is not None:
                with contextlib.suppress(TransportError):
                    flow.send_nowait(response)

    def _on_malformed(self, data: bytes, flow: Flow, exc: SiperbError) -> None:
        response = bad_request_for(data, exc.reason or str(exc))
        if response is not None:
            with contextlib.suppress(TransportError):
                flow.send_nowait(response)

    def dialog_key_in(self, request: Message) -> DialogKey:
        to_tag = request.to.tag if request.to is not None else None
        from_tag = request.from_.tag if request.from_ is not None else None
        return (request.call_id or "", to_tag or "", from_tag or "")

    def register_dialog(self, key: DialogKey, owner: DialogUser) -> None:
        self._dialogs[key] = owner

    def forget_dialog(self, key: DialogKey) -> None:
        self._dialogs.pop(key, None)

    def _on_request(self, request: Message, tx: ServerTransaction) -> None:
        try:
            self._route(request, tx)
        except SiperbError as exc:
            log.info("bad %s: %s", request.method, exc)
            tx.respond(400, re.sub(r"[^\x20-\x7e]", " ", exc.reason or "Bad Request")[:120])
        except Exception:
            log.exception("failed to handle %s", request.method)
            tx.respond(500, "Server Internal Error")

    def _route(self, request: Message, tx: ServerTransaction) -> None:
        method = request.method or ""
        to_tag = request.to.tag if request.to is not None else None
        unsupported = [r for r in request.require if r not in ("replaces", "outbound")]
        if unsupported and method not in ("ACK", "CANCEL"):
            tx.respond(420, "Bad Extension", [("Unsupported", ", ".join(unsupported))])
            return
        if method == "CANCEL":
            self._on_cancel(request, tx)
            return
        if to_tag:
            owner = self._dialogs.get(self.dialog_key_in(request))
            if owner is None and method == "NOTIFY":
                owner = self._subscription_for_notify(request)
            if owner is None:
                tx.respond(481, "Call/Transaction Does Not Exist")
                return
            owner.on_request(request, tx)
            return
        if method == "INVITE":
            from .call import Call

            Call.incoming(self, request, tx)
        elif method == "OPTIONS":
            tx.respond(200, "OK", [("Allow", self.ALLOW), ("Accept", self.ACCEPT),
                                   ("Supported", self.SUPPORTED),
                                   ("User-Agent", self.config.user_agent)])  # fmt: skip
        elif method == "MESSAGE":
            tx.respond(200, "OK")
            self.events.emit(
                "message", from_=request.header("From") or "", to=request.header("To") or "",
                content_type=request.content_type or "text/plain", body=request.body,
                text=request.body.decode("utf-8", "replace"),
            )  # fmt: skip
        elif method == "NOTIFY":
            owner = self._subscription_for_notify(request)
            if owner is not None:
                owner.on_request(request, tx)
                return
            tx.respond(200, "OK")  # unsolicited (e.g. message-summary from a PBX)
            self._emit_notify(request, None)
        elif method in ("BYE", "INFO", "UPDATE", "PRACK", "REFER"):
            tx.respond(481, "Call/Transaction Does Not Exist")
        elif method in ("SUBSCRIBE", "REGISTER", "PUBLISH"):
            tx.respond(405, "Method Not Allowed", [("Allow", self.ALLOW)])
        else:
            tx.respond(501, "Not Implemented", [("Allow", self.ALLOW)])

    def _emit_notify(self, request: Message, subscription: Any) -> None:
        from .subscription import parse_message_summary

        event = request.event
        package = event.package if event is not None else ""
        summary = parse_message_summary(request.body) if package == "message-summary" else None
        self.events.emit("notify", event=package, body=request.body, subscription=subscription,
                         content_type=request.content_type or "", summary=summary)  # fmt: skip

    def _subscription_for_notify(self, request: Message) -> DialogUser | None:
        to_tag = request.to.tag if request.to is not None else ""
        sub = self._pending_subscriptions.get((request.call_id or "", to_tag or ""))
        return sub

    def _on_cancel(self, request: Message, tx: ServerTransaction) -> None:
        assert self.layer is not None
        invite_tx = self.layer.invite_server(request)
        if invite_tx is None:
            tx.respond(481, "Call/Transaction Does Not Exist")
            return
        tx.respond(200, "OK")
        for call in self.calls:
            if getattr(call, "invite_tx", None) is invite_tx:
                call.on_cancel(request)
                return
        invite_tx.respond(487, "Request Terminated")

    def _on_stray(self, message: Message, flow: Flow) -> None:
        if message.is_request:  # an ACK for a 2xx
            owner = self._dialogs.get(self.dialog_key_in(message))
            if owner is not None:
                owner.on_ack(message)
            return
        if 200 <= (message.status or 0) < 300 and cseq_of(message).method == "INVITE":
            from_tag = message.from_.tag if message.from_ is not None else ""
            to_tag = message.to.tag if message.to is not None else ""
            owner = self._dialogs.get((message.call_id or "", from_tag or "", to_tag or ""))
            if owner is not None:
                owner.on_stray_response(message)
            else:
                self._on_forked_2xx(message, (message.call_id or "", from_tag or "", to_tag or ""))

    def note_invite(self, tx: ClientTransaction) -> None:
        """Remembers an initial INVITE for 64*T1, the time its forks may still answer."""
        now = asyncio.get_running_loop().time()
        keep = 64 * self.config.timers.t1
        for key in [k for k, (t, _) in self._sent_invites.items() if now - t > keep]:
            del self._sent_invites[key]
        for dkey in [k for k, (t, _) in self._fork_acks.items() if now - t > keep]:
            del self._fork_acks[dkey]
        req = tx.request
        tag = (req.from_.tag if req.from_ is not None else None) or ""
        self._sent_invites[(req.call_id or "", tag)] = (now, tx)

    def _on_forked_2xx(self, response: Message, key: DialogKey) -> None:
        """RFC 3261 13.2.2.4: a 2xx for one of our INVITEs from a dialog we did not keep (a
        second fork that picked up): ACK it, then end that dialog with BYE."""
        from .dialog import Dialog

        sent = self._sent_invites.get(key[:2])
        if sent is None or not key[2]:
            return
        tx = sent[1]
        done = tx.final.done() and not tx.final.cancelled() and tx.final.exception() is None
        accepted = tx.final.result() if done else None
        if accepted is not None and accepted.to is not None and accepted.to.tag == key[2]:
            return  # the kept dialog's own 2xx, before its call registered the dialog
        acked = self._fork_acks.get(key)
        if acked is not None:
            with contextlib.suppress(TransportError):
                self._require_flow().send_nowait(acked[1])
            return
        dialog = Dialog.as_uac(tx.request, response)
        dialog.local_seq = cseq_of(tx.request).number
        ack = dialog.request("ACK", self.via(), cseq=cseq_of(response).number)
        self._fork_acks[key] = (asyncio.get_running_loop().time(), ack)
        log.info("2xx from another fork (To tag %s): ACK and BYE", key[2])
        with contextlib.suppress(TransportError):
            self._require_flow().send_nowait(ack)
        headers = [("User-Agent", self.config.user_agent)]
        self.spawn(
            self.send_authenticated(lambda: dialog.request("BYE", self.via(), headers=headers))
        )

    # ---- conveniences ----

    async def call(
        self,
        target: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        media: MediaHandler | None = None,
    ) -> Any:
        """Place a call (INVITE with an SDP offer); returns the Call at once, ringing."""
        from .call import Call

        return Call.outgoing(self, self.normalize_target(target), headers=headers, media=media)

    def make_media(self) -> MediaHandler:
        factory = self.config.media_factory
        if factory is None:
            raise SiperbError("this user agent has no media_factory", field="media_factory")
        return factory(self)

    def media_host(self) -> str:
        """The address RTP should be bound to and advertised on, for the current flow."""
        flow = self._require_flow()
        if flow.kind in (TransportKind.WS, TransportKind.WSS):
            return "::1" if ":" in flow.remote.host else "127.0.0.1"
        return flow.local.host

    async def send_message(
        self, target: str, text: str | bytes, content_type: str = "text/plain;charset=utf-8"
    ) -> Message:
        """A MESSAGE (RFC 3428); returns the final response."""
        body = text.encode() if isinstance(text, str) else text
        uri = self.normalize_target(target)
        call_id, tag = secrets.token_hex(12), secrets.token_hex(6)
        counter = iter(range(1, 10))
        return await self.send_authenticated(
            lambda: self.new_request("MESSAGE", uri, [("Content-Type", content_type)], body,
                                     call_id=call_id, from_tag=tag, cseq=next(counter))
        )  # fmt: skip

    async def options(self, target: str | None = None) -> Message:
        """An out-of-dialog OPTIONS (capabilities / keep-alive check)."""
        uri = self.normalize_target(target) if target else self.registrar_uri()
        return await self.send_request(self.new_request("OPTIONS", uri)).final

    async def subscribe(
        self, target: str | None = None, event: str = "message-summary", expires: int = 3600
    ) -> Any:
        """Subscribe (RFC 6665) as a subscriber; message-summary (RFC 3842) by default."""
        from .subscription import Subscription

        sub = Subscription(self, self.normalize_target(target) if target else self.aor.raw,
                           event, expires)  # fmt: skip
        await sub.start()
        return sub

    def new_instance_id(self) -> str:
        return f"urn:uuid:{uuid.uuid4()}"
