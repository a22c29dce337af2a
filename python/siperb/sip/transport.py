"""SIP transports on asyncio: UDP, TCP, TLS, WS and WSS (RFC 3261 18, RFC 7118).

Every received message arrives with the :class:`Flow` it came on (RFC 5626's word for a transport
association), so responses and in-dialog requests go back the same way. Stream transports frame
messages with the native :class:`siperb.sip.StreamFramer`; datagram and WebSocket transports get
one message per datagram/frame and use :func:`siperb.sip.parse`.
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
from typing import Any

from ..errors import SiperbError, TransportError
from . import Message, StreamFramer, parse

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
        return self.value.lower() if self is not TransportKind.TLS else "tls"

    @property
    def default_port(self) -> int:
        return {"UDP": 5060, "TCP": 5060, "TLS": 5061, "WS": 80, "WSS": 443}[self.value]


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


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
CloseHandler = Callable[["Flow", BaseException | None], None]

_SECRET = re.compile(
    rb"(?im)^((?:proxy-)?authorization\s*:.*?\b(?:response|password)\s*=\s*)(\"[^\"]*\"|[^,\s]+)"
)


def redact(data: bytes) -> bytes:
    """Hide digest responses (and any password parameter) in Authorization headers."""
    return _SECRET.sub(rb'\1"<redacted>"', data)


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
        self._trace = trace
        self.closed = False

    async def send(self, message: Message | bytes) -> None:
        data = bytes(message)
        if self.closed:
            raise TransportError(f"{self.kind.value} flow to {self.remote} is closed", field="flow")
        self._emit("out", data)
        await self._send(data)

    async def _send(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True

    def _emit(self, direction: str, data: bytes) -> None:
        if self._trace is not None:
            self._trace(TraceRecord(direction, self.kind, self.local, self.remote, redact(data)))

    def _deliver(self, data: bytes, on_message: MessageHandler) -> None:
        self._emit("in", data)
        try:
            message = parse(data)
        except SiperbError as exc:
            log.warning("dropped malformed message from %s: %s", self.remote, exc)
            return
        on_message(message, self)

    def __repr__(self) -> str:
        return f"<Flow {self.kind.value} {self.local} -> {self.remote}>"


# --- UDP -------------------------------------------------------------------------------------


class UdpFlow(Flow):
    def __init__(self, endpoint: UdpEndpoint, remote: Endpoint):
        super().__init__(TransportKind.UDP, endpoint.local, remote, endpoint.trace)
        self._endpoint = endpoint

    async def _send(self, data: bytes) -> None:
        self._endpoint.sendto(data, self.remote)


class UdpEndpoint(asyncio.DatagramProtocol):
    """A bound UDP socket; one :class:`UdpFlow` per remote address it talks to."""

    def __init__(self, on_message: MessageHandler, trace: TraceHook | None = None):
        self.on_message = on_message
        self.trace = trace
        self.local = Endpoint("0.0.0.0", 0)
        self._transport: asyncio.DatagramTransport | None = None
        self._flows: dict[Endpoint, UdpFlow] = {}

    @classmethod
    async def bind(
        cls, host: str, port: int, on_message: MessageHandler, trace: TraceHook | None = None
    ) -> UdpEndpoint:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_datagram_endpoint(
            lambda: cls(on_message, trace), local_addr=(host, port)
        )
        return proto

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self._transport = transport
        sockname = transport.get_extra_info("sockname")
        self.local = Endpoint(sockname[0], sockname[1])

    def flow(self, remote: Endpoint) -> UdpFlow:
        flow = self._flows.get(remote)
        if flow is None:
            flow = self._flows[remote] = UdpFlow(self, remote)
        return flow

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if data.strip(b"\r\n") == b"":
            return  # keep-alive
        self.flow(Endpoint(addr[0], addr[1]))._deliver(data, self.on_message)

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error on %s: %s", self.local, exc)

    def sendto(self, data: bytes, remote: Endpoint) -> None:
        if self._transport is None:
            raise TransportError("UDP socket is not bound", field="socket")
        self._transport.sendto(data, (remote.host, remote.port))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        for flow in self._flows.values():
            flow.close()


# --- TCP and TLS -----------------------------------------------------------------------------


class StreamFlow(Flow, asyncio.Protocol):
    """A TCP or TLS connection framed with the native stream framer, with RFC 5626 keep-alives."""

    def __init__(
        self,
        kind: TransportKind,
        on_message: MessageHandler,
        on_close: CloseHandler | None,
        trace: TraceHook | None,
        keepalive_interval: float | None,
        pong_timeout: float = 10.0,
    ):
        Flow.__init__(self, kind, Endpoint("0.0.0.0", 0), Endpoint("0.0.0.0", 0), trace)
        self._on_message = on_message
        self._on_close = on_close
        self._framer = StreamFramer()
        self._transport: asyncio.Transport | None = None
        self._keepalive_interval = keepalive_interval
        self._pong_timeout = pong_timeout
        self._pong: asyncio.Event | None = None
        self._keepalive_task: asyncio.Task[None] | None = None
        self.closed_future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

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
        timeout: float = 10.0,
    ) -> StreamFlow:
        if kind not in (TransportKind.TCP, TransportKind.TLS):
            raise TransportError(f"{kind.value} is not a stream transport", field="transport")
        loop = asyncio.get_running_loop()
        if kind is TransportKind.TLS and ssl_context is None:
            ssl_context = ssl.create_default_context()
        try:
            _, flow = await asyncio.wait_for(
                loop.create_connection(
                    lambda: cls(kind, on_message, on_close, trace, keepalive_interval),
                    remote.host,
                    remote.port,
                    ssl=ssl_context if kind is TransportKind.TLS else None,
                    server_hostname=(server_hostname or remote.host)
                    if kind is TransportKind.TLS
                    else None,
                ),
                timeout,
            )
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            raise TransportError(
                f"cannot connect {kind.value} to {remote}: {exc}", field="connect", reason=str(exc)
            ) from exc
        return flow

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        local, peer = transport.get_extra_info("sockname"), transport.get_extra_info("peername")
        self.local = Endpoint(local[0], local[1])
        self.remote = Endpoint(peer[0], peer[1])
        if self._keepalive_interval:
            self._keepalive_task = asyncio.get_running_loop().create_task(self._keepalive())

    def data_received(self, data: bytes) -> None:
        if data == CRLF_PONG and self._pong is not None:
            self._pong.set()
            return
        if data == CRLF_PING:
            self._write(CRLF_PONG)
            return
        try:
            messages = self._framer.feed(data)
        except SiperbError as exc:
            # A framing error leaves the stream unsynchronised: the connection cannot continue.
            log.warning("closing %r after a framing error: %s", self, exc)
            self._abort(exc)
            return
        for message in messages:
            self._emit("in", bytes(message))
            self._on_message(message, self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._keepalive_task is not None:
            self._keepalive_task.cancel()
        if not self.closed_future.done():
            self.closed_future.set_result(None)
        if self._on_close is not None:
            self._on_close(self, exc)

    async def _send(self, data: bytes) -> None:
        self._write(data)

    def _write(self, data: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            raise TransportError(f"{self.kind.value} connection to {self.remote} is closed")
        self._transport.write(data)

    async def _keepalive(self) -> None:
        assert self._keepalive_interval
        while not self.closed:
            await asyncio.sleep(self._keepalive_interval)
            self._pong = asyncio.Event()
            with contextlib.suppress(TransportError):
                self._write(CRLF_PING)
            try:
                await asyncio.wait_for(self._pong.wait(), self._pong_timeout)
            except asyncio.TimeoutError:
                self._abort(TransportError(f"no keep-alive pong from {self.remote}"))
                return

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
    """A SIP-over-WebSocket client connection: subprotocol ``sip``, one message per frame."""

    def __init__(self, kind: TransportKind, url: str, trace: TraceHook | None):
        super().__init__(kind, Endpoint("0.0.0.0", 0), Endpoint("0.0.0.0", 0), trace)
        self.url = url
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self.closed_future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    async def connect(
        cls,
        url: str,
        on_message: MessageHandler,
        *,
        on_close: CloseHandler | None = None,
        ssl_context: ssl.SSLContext | None = None,
        trace: TraceHook | None = None,
        ping_interval: float | None = 20.0,
        timeout: float = 10.0,
    ) -> WebSocketFlow:
        from websockets.asyncio.client import connect

        kind = TransportKind.WSS if url.lower().startswith("wss:") else TransportKind.WS
        flow = cls(kind, url, trace)
        try:
            flow._ws = await connect(
                url,
                subprotocols=["sip"],  # type: ignore[list-item]
                ssl=(ssl_context or ssl.create_default_context()) if kind.secure else None,
                open_timeout=timeout,
                ping_interval=ping_interval,
                ping_timeout=ping_interval,
                max_size=2**20,
            )
        except Exception as exc:  # websockets raises several unrelated types on failure
            raise TransportError(
                f"cannot open {kind.value} to {url}: {exc}", field="connect", reason=str(exc)
            ) from exc
        if flow._ws.subprotocol != "sip":
            await flow._ws.close()
            raise TransportError(
                f"{url} did not accept the 'sip' WebSocket subprotocol", field="subprotocol"
            )
        local, peer = flow._ws.local_address, flow._ws.remote_address
        flow.local = Endpoint(local[0], local[1])
        flow.remote = Endpoint(peer[0], peer[1])
        flow._reader = asyncio.get_running_loop().create_task(flow._read(on_message, on_close))
        return flow

    async def _read(self, on_message: MessageHandler, on_close: CloseHandler | None) -> None:
        error: BaseException | None = None
        try:
            async for frame in self._ws:
                data = frame.encode() if isinstance(frame, str) else frame
                self._deliver(data, on_message)
        except Exception as exc:
            error = exc
        finally:
            self.closed = True
            if not self.closed_future.done():
                self.closed_future.set_result(None)
            if on_close is not None:
                on_close(self, error)

    async def _send(self, data: bytes) -> None:
        try:
            # Text frames for UTF-8 messages, binary frames otherwise (RFC 7118 section 5).
            try:
                frame: str | bytes = data.decode("utf-8")
            except UnicodeDecodeError:
                frame = data
            await self._ws.send(frame)
        except Exception as exc:
            raise TransportError(f"WebSocket send to {self.url} failed: {exc}") from exc

    def close(self) -> None:
        super().close()
        if self._ws is not None:
            asyncio.get_running_loop().create_task(self._ws.close())
