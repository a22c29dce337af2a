"""SIP transports on asyncio: UDP, TCP, TLS, WS and WSS (RFC 3261 18, RFC 7118).

Every received message arrives with the :class:`Flow` it came on (RFC 5626's word for a transport
association), so responses and in-dialog requests go back the same way. This module has the flow
base and UDP; stream transports (:mod:`siperb.sip.stream`: TCP, TLS) frame messages with the
native :class:`siperb.sip.StreamFramer`; WebSocket (:mod:`siperb.sip.websocket`) and UDP get one
message per frame/datagram and use :func:`siperb.sip.parse`. Sending is synchronous
(``send_nowait``): UDP and stream writes never block, and WebSocket frames go through a queue,
so the transaction layer needs no task per message.
"""

from __future__ import annotations

import enum
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import SiperbError, TransportError
from . import Message, parse
from .datagram import DatagramSocket
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


def endpoint_of(addr: Any) -> Endpoint:
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
            if on_malformed is not None:
                on_malformed(data, self, exc)  # it logs (rate-limited: see Router)
            else:
                log.info("malformed message from %s: %s", self.remote, exc)
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


class UdpEndpoint:
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
        self._socket: DatagramSocket | None = None
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
        endpoint = cls(on_message, trace, on_malformed)
        try:
            sock = await DatagramSocket.bind(
                host, port, endpoint.datagram_received, endpoint.error_received
            )
        except OSError as exc:
            raise TransportError(f"cannot bind UDP {host}:{port}: {exc}", field="bind") from exc
        endpoint._socket = sock
        endpoint.local = endpoint_of(sock.sockname)
        return endpoint

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
                self.on_stun(data, endpoint_of(addr))
            return
        self.flow(endpoint_of(addr))._deliver(data, self.on_message, self.on_malformed)

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error on %s: %s", self.local, exc)

    def sendto(self, data: bytes, remote: Endpoint) -> None:
        if self._socket is None or self._socket.closed:
            raise TransportError("UDP socket is not bound", field="socket")
        self._socket.sendto(data, (remote.host, remote.port))

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        for flow in self._flows.values():
            flow.close()


# --- TCP and TLS -----------------------------------------------------------------------------
