"""SIP over TCP and TLS (RFC 3261 section 18): a framed byte stream with CRLF keep-alives.

The native framer cuts messages out of the stream; a message it rejects is answered (400, by
the on_malformed handler) and skipped, so one bad message never drops the connection. RFC 5626
section 3.5.1's CRLF ping/pong keeps the flow (and any NAT on its path) alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from typing import cast

from ..errors import SiperbError, TransportError
from . import StreamFramer
from .transport import (
    CRLF_PING,
    CRLF_PONG,
    CloseHandler,
    Endpoint,
    Flow,
    MalformedHandler,
    MessageHandler,
    TraceHook,
    TransportKind,
    client_ssl_context,
    endpoint_of,
)

log = logging.getLogger("siperb.sip.transport")


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
        self.local = endpoint_of(transport.get_extra_info("sockname"))
        self.remote = endpoint_of(transport.get_extra_info("peername"))
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
