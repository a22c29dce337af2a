"""SIP over WebSocket (RFC 7118): subprotocol ``sip``, one message per frame, WS ping/pong.

Sending is synchronous for the transaction layer: frames go through a queue that one writer
task drains, so a slow socket never blocks a timer callback.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

from ..errors import TransportError
from .transport import (
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
        flow.local = endpoint_of(flow._ws.local_address)
        flow.remote = endpoint_of(flow._ws.remote_address)
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
