"""SIP transports on asyncio: UDP, TCP, TLS, WS and WSS (RFC 3261 18, RFC 7118).

Every received message arrives with the :class:`Flow` it came on (RFC 5626's word for a transport
association), so responses and in-dialog requests go back the same way. Stream transports frame
messages with the native :class:`siperb.sip.StreamFramer`; datagram and WebSocket transports get
one message per datagram/frame and use :func:`siperb.sip.parse`. Sending is synchronous
(``send_nowait``): UDP and stream writes never block, and WebSocket frames go through a queue,
so the transaction layer needs no task per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from ..errors import SiperbError, TransportError
from . import Message, StreamFramer, parse
from .stun import is_stun

log = logging.getLogger("siperb.sip.transport")

#: Keep-alive ping and pong of RFC 5626 section 3.5.1 (stream transports).
CRLF_PING = b"\r\n\r\n"
CRLF_PONG = b"\r\n"


class TransportKind(str, enum.Enum):
    UDP = "UDP"
    TCP = "TCP"
    TLS = "TLS"
    WS = "WS"
    WSS = "WSS"

    @property
    def reliable(self) -> bool:
        return self is not TransportKind.UDP

    @property
    def secure(self) -> bool:
        return self in (TransportKind.TLS, TransportKind.WSS)

    @property
    def uri_param(self) -> str:
        """The ``transport=`` URI parameter value (RFC 3261 19.1.1, RFC 7118 5.2)."""
        return self.value.lower()

    @property
    def default_port(self) -> int:
        return {"UDP": 5060, "TCP": 5060, "TLS": 5061, "WS": 80, "WSS": 443}[self.value]

    @classmethod
    def parse(cls, name: str) -> TransportKind:
        try:
            return cls(name.upper())
        except ValueError:
            raise TransportError(f"unknown SIP transport {name!r}", field="transport") from None


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def uri_host(self) -> str:
        """The host as written in a URI or Via (IPv6 in brackets)."""
        return f"[{self.host}]" if ":" in self.host else self.host


@dataclass(frozen=True)
class TraceRecord:
    """One message in or out, for a trace hook. ``data`` has credentials redacted."""

    direction: str  # "in" or "out"
    kind: TransportKind
    local: Endpoint
    remote: Endpoint
    data: bytes


TraceHook = Callable[[TraceRecord], None]
MessageHandler = Callable[[Message, "Flow"], None]
MalformedHandler = Callable[[bytes, "Flow", SiperbError], None]
CloseHandler = Callable[["Flow", BaseException | None], None]

_SECRET = re.compile(
    rb"(?im)^((?:proxy-)?authorization\s*:.*?\b(?:response|password)\s*=\s*)(\"[^\"]*\"|[^,\s]+)"
)
_BEARER = re.compile(rb"(?im)^((?:proxy-)?authorization\s*:\s*bearer\s+)(\S+)")


def redact(data: bytes) -> bytes:
    """Hide digest responses, password parameters and bearer tokens in Authorization headers."""
    data = _SECRET.sub(rb'\1"<redacted>"', data)
    return _BEARER.sub(rb"\1<redacted>", data)


def client_ssl_context(
    ca_file: str | None = None, *, verify: bool = True, server_hostname_check: bool = True
) -> ssl.SSLContext:
    """A TLS client context: system CAs (or ``ca_file``); ``verify=False`` is the lab opt-out."""
    ctx = ssl.create_default_context(cafile=ca_file)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif not server_hostname_check:
        ctx.check_hostname = False
    return ctx


def _endpoint(addr: Any) -> Endpoint:
    return Endpoint(str(addr[0]), int(addr[1]))


class Flow:
    """A path to one remote party over one transport; ``send`` writes one SIP message."""

    kind: TransportKind
    local: Endpoint
    remote: Endpoint

    def __init__(
        self, kind: TransportKind, local: Endpoint, remote: Endpoint, trace: TraceHook | None
    ):
        self.kind = kind
        self.local = local
        self.remote = remote
        self.trace = trace
        self.closed = False

    def send_nowait(self, message: Message | bytes) -> None:
        """Queue one message for sending; raises TransportError when the flow is closed."""
        data = bytes(message)
        if self.closed:
            raise TransportError(f"{self.kind.value} flow to {self.remote} is closed", field="flow")
        if self.trace is not None:
            self._emit("out", data)
        self._send(data)

    async def send(self, message: Message | bytes) -> None:
        self.send_nowait(message)

    def _send(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True

    def _emit(self, direction: str, data: bytes) -> None:
        if self.trace is not None:
            self.trace(TraceRecord(direction, self.kind, self.local, self.remote, redact(data)))

    def _deliver(
        self, data: bytes, on_message: MessageHandler, on_malformed: MalformedHandler | None
    ) -> None:
        if self.trace is not None:
            self._emit("in", data)
        try:
            message = parse(data)
        except SiperbError as exc:
            log.info("malformed message from %s: %s", self.remote, exc)
            if on_malformed is not None:
                on_malformed(data, self, exc)
            return
        on_message(message, self)

    def __repr__(self) -> str:
        return f"<Flow {self.kind.value} {self.local} -> {self.remote}>"


# --- UDP -------------------------------------------------------------------------------------


class UdpFlow(Flow):
    def __init__(self, endpoint: UdpEndpoint, remote: Endpoint):
        super().__init__(TransportKind.UDP, endpoint.local, remote, endpoint.trace)
        self._endpoint = endpoint

    def _send(self, data: bytes) -> None:
        self._endpoint.sendto(data, self.remote)


class UdpEndpoint(asyncio.DatagramProtocol):
    """A bound UDP socket; one :class:`UdpFlow` per remote address it talks to."""

    def __init__(
        self,
        on_message: MessageHandler,
        trace: TraceHook | None = None,
        on_malformed: MalformedHandler | None = None,
    ):
        self.on_message = on_message
        self.on_malformed = on_malformed
        self.trace = trace
        self.local = Endpoint("0.0.0.0", 0)
        self._transport: asyncio.DatagramTransport | None = None
        self._flows: dict[Endpoint, UdpFlow] = {}
        #: Gets the STUN datagrams (RFC 5626 keep-alive responses) that share the socket.
        self.on_stun: Callable[[bytes, Endpoint], None] | None = None

    @classmethod
    async def bind(
        cls,
        host: str,
        port: int,
        on_message: MessageHandler,
        trace: TraceHook | None = None,
        on_malformed: MalformedHandler | None = None,
    ) -> UdpEndpoint:
        loop = asyncio.get_running_loop()
        try:
            _, proto = await loop.create_datagram_endpoint(
                lambda: cls(on_message, trace, on_malformed), local_addr=(host, port)
            )
        except OSError as exc:
            raise TransportError(f"cannot bind UDP {host}:{port}: {exc}", field="bind") from exc
        return proto

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)
        self.local = _endpoint(transport.get_extra_info("sockname"))

    def flow(self, remote: Endpoint) -> UdpFlow:
        flow = self._flows.get(remote)
        if flow is None:
            if len(self._flows) > 4096:  # a scan from many addresses must not grow memory
                self._flows.clear()
            flow = self._flows[remote] = UdpFlow(self, remote)
        return flow

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if data.strip(b"\r\n\0 ") == b"":
            return  # keep-alive
        if is_stun(data):
            if self.on_stun is not None:
                self.on_stun(data, _endpoint(addr))
            return
        self.flow(_endpoint(addr))._deliver(data, self.on_message, self.on_malformed)

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error on %s: %s", self.local, exc)

    def sendto(self, data: bytes, remote: Endpoint) -> None:
        if self._transport is None or self._transport.is_closing():
            raise TransportError("UDP socket is not bound", field="socket")
        self._transport.sendto(data, (remote.host, remote.port))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        for flow in self._flows.values():
            flow.close()


# --- TCP and TLS -----------------------------------------------------------------------------


class StreamFlow(Flow, asyncio.Protocol):
    """A TCP or TLS connection framed with the native stream framer, with RFC 5626 keep-alives.

    The keep-alive sends a CRLF CRLF ping every ``keepalive_interval`` seconds and aborts the
    connection when no CRLF pong (or any other data) comes back within ``pong_timeout``.
    """

    def __init__(
        self,
        kind: TransportKind,
        on_message: MessageHandler,
        on_close: CloseHandler | None,
        trace: TraceHook | None,
        keepalive_interval: float | None,
        pong_timeout: float = 10.0,
        on_malformed: MalformedHandler | None = None,
    ):
        Flow.__init__(self, kind, Endpoint("0.0.0.0", 0), Endpoint("0.0.0.0", 0), trace)
        self._on_message = on_message
        self._on_close = on_close
        self._on_malformed = on_malformed or (lambda data, flow, exc: None)
        self._framer = StreamFramer()
        self._transport: asyncio.Transport | None = None
        self._keepalive_interval = keepalive_interval
        self._pong_timeout = pong_timeout
        self._loop = asyncio.get_running_loop()
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_deadline: asyncio.TimerHandle | None = None
        self.closed_future: asyncio.Future[None] = self._loop.create_future()

    @classmethod
    async def connect(
        cls,
        kind: TransportKind,
        remote: Endpoint,
        on_message: MessageHandler,
        *,
        on_close: CloseHandler | None = None,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        trace: TraceHook | None = None,
        keepalive_interval: float | None = 30.0,
        pong_timeout: float = 10.0,
        timeout: float = 10.0,
        on_malformed: MalformedHandler | None = None,
    ) -> StreamFlow:
        if kind not in (TransportKind.TCP, TransportKind.TLS):
            raise TransportError(f"{kind.value} is not a stream transport", field="transport")
        loop = asyncio.get_running_loop()
        tls = kind is TransportKind.TLS
        if tls and ssl_context is None:
            ssl_context = client_ssl_context()
        try:
            _, flow = await asyncio.wait_for(
                loop.create_connection(
                    lambda: cls(kind, on_message, on_close, trace, keepalive_interval,
                                pong_timeout, on_malformed),
                    remote.host,
                    remote.port,
                    ssl=ssl_context if tls else None,
                    server_hostname=(server_hostname or remote.host) if tls else None,
                ),
                timeout,
            )  # fmt: skip
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            raise TransportError(
                f"cannot connect {kind.value} to {remote}: {exc}", field="connect", reason=str(exc)
            ) from exc
        return flow

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self.local = _endpoint(transport.get_extra_info("sockname"))
        self.remote = _endpoint(transport.get_extra_info("peername"))
        self._schedule_ping()

    def _schedule_ping(self) -> None:
        if self._keepalive_interval and not self.closed:
            self._ping_timer = self._loop.call_later(self._keepalive_interval, self._ping)

    def _ping(self) -> None:
        if self.closed:
            return
        with contextlib.suppress(TransportError):
            self._write(CRLF_PING)
        self._pong_deadline = self._loop.call_later(self._pong_timeout, self._no_pong)

    def _no_pong(self) -> None:
        self._abort(TransportError(f"no keep-alive pong from {self.remote}", field="keepalive"))

    def _alive(self) -> None:
        if self._pong_deadline is not None:
            self._pong_deadline.cancel()
            self._pong_deadline = None
            self._schedule_ping()

    def data_received(self, data: bytes) -> None:
        self._alive()
        if data == CRLF_PONG:
            return
        while True:  # messages framed behind a malformed one wait for another feed
            try:
                messages = self._framer.feed(data)
            except SiperbError as exc:
                if not self._framer.rejected:  # a framing error: the stream is lost (logged)
                    self._abort(exc)
                    return
                messages = []  # one well-framed bad message: a 400 if its Via can be read
                self._on_malformed(self._framer.rejected, self, exc)
            data = b""
            if self._framer.take_keepalives():
                with contextlib.suppress(TransportError):
                    self._write(CRLF_PONG)
            for message in messages:
                if self.trace is not None:
                    self._emit("in", bytes(message))
                self._on_message(message, self)
            if not (self._framer.buffered and (messages or self._framer.rejected)):
                return

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        for handle in (self._ping_timer, self._pong_deadline):
            if handle is not None:
                handle.cancel()
        if not self.closed_future.done():
            self.closed_future.set_result(None)
        if self._on_close is not None:
            self._on_close(self, exc)

    def _send(self, data: bytes) -> None:
        self._write(data)

    def _write(self, data: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            raise TransportError(f"{self.kind.value} connection to {self.remote} is closed")
        self._transport.write(data)

    def _abort(self, exc: BaseException) -> None:
        log.info("%r: %s", self, exc)
        if self._transport is not None:
            self._transport.abort()

    def close(self) -> None:
        super().close()
        if self._transport is not None:
            self._transport.close()


# --- WebSocket (RFC 7118) --------------------------------------------------------------------


class WebSocketFlow(Flow):
    """A SIP-over-WebSocket client connection: subprotocol ``sip``, one message per frame.

    Liveness is the WebSocket ping/pong (``ping_interval``); a lost pong closes the flow.
    """

    def __init__(self, kind: TransportKind, url: str, trace: TraceHook | None):
        super().__init__(kind, Endpoint("0.0.0.0", 0), Endpoint("0.0.0.0", 0), trace)
        self.url = url
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.closed_future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    async def connect(
        cls,
        url: str,
        on_message: MessageHandler,
        *,
        on_close: CloseHandler | None = None,
        on_malformed: MalformedHandler | None = None,
        ssl_context: ssl.SSLContext | None = None,
        trace: TraceHook | None = None,
        ping_interval: float | None = 20.0,
        timeout: float = 10.0,
        server_hostname: str | None = None,
    ) -> WebSocketFlow:
        """Open ``url``; ``server_hostname`` names the TLS peer when the URL holds an address."""
        from websockets.asyncio.client import connect

        kind = TransportKind.WSS if url.lower().startswith("wss:") else TransportKind.WS
        flow = cls(kind, url, trace)
        extra: dict[str, Any] = {}
        if kind.secure and server_hostname:
            extra["server_hostname"] = server_hostname
        try:
            flow._ws = await connect(
                url,
                subprotocols=["sip"],  # type: ignore[list-item]
                ssl=(ssl_context or client_ssl_context()) if kind.secure else None,
                open_timeout=timeout,
                ping_interval=ping_interval,
                ping_timeout=ping_interval,
                max_size=2**20,
                compression=None,
                **extra,
            )
        except Exception as exc:  # websockets raises several unrelated types on failure
            why = str(exc) or type(exc).__name__  # a bare ConnectionResetError has no text
            raise TransportError(f"cannot open {kind.value} to {url}: {why}", field="connect",
                                 reason=why) from exc  # fmt: skip
        if flow._ws.subprotocol != "sip":
            await flow._ws.close()
            raise TransportError(
                f"{url} did not accept the 'sip' WebSocket subprotocol", field="subprotocol"
            )
        flow.local = _endpoint(flow._ws.local_address)
        flow.remote = _endpoint(flow._ws.remote_address)
        loop = asyncio.get_running_loop()
        flow._reader = loop.create_task(flow._read(on_message, on_close, on_malformed))
        flow._writer = loop.create_task(flow._write_loop())
        return flow

    async def _read(
        self,
        on_message: MessageHandler,
        on_close: CloseHandler | None,
        on_malformed: MalformedHandler | None,
    ) -> None:
        error: BaseException | None = None
        try:
            async for frame in self._ws:
                data = frame.encode() if isinstance(frame, str) else frame
                self._deliver(data, on_message, on_malformed)
        except Exception as exc:
            error = exc
        finally:
            self.closed = True
            if self._writer is not None:
                self._writer.cancel()
            if not self.closed_future.done():
                self.closed_future.set_result(None)
            if on_close is not None:
                on_close(self, error)

    def _send(self, data: bytes) -> None:
        self._queue.put_nowait(data)

    async def _write_loop(self) -> None:
        while True:
            data = await self._queue.get()
            # Text frames for UTF-8 messages, binary frames otherwise (RFC 7118 section 5).
            try:
                frame: str | bytes = data.decode("utf-8")
            except UnicodeDecodeError:
                frame = data
            try:
                await self._ws.send(frame)
            except Exception as exc:
                log.info("WebSocket send to %s failed: %s", self.url, exc)
                return

    def close(self) -> None:
        super().close()
        if self._ws is not None:
            asyncio.get_running_loop().create_task(self._ws.close())
