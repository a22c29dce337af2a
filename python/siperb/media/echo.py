"""Media that sends back what it hears: the loopback demo's echo peer."""

from __future__ import annotations

import asyncio
from typing import Any

from .audio import BufferSink, BufferSource
from .call_media import EngineMedia


class EchoMedia(EngineMedia):
    """EngineMedia that sends back what it receives (the demo's echo peer).

    The engine has no native sink-to-source loop, so a small task on the event loop moves
    each 20 ms of a BufferSink into a BufferSource; that hop adds at most one packet time.
    """

    FRAME_MS = 20

    def __init__(self, address: str = "127.0.0.1", *, rate: int = 48000, **kwargs: Any):
        self.rate = rate
        self.echo_sink = BufferSink(rate, rate)
        self.echo_source = BufferSource(rate, rate)
        self._pump: Any = None
        super().__init__(address, source=self.echo_source, sink=self.echo_sink, **kwargs)

    def _negotiated(self) -> None:
        super()._negotiated()
        if self._pump is None and self.session is not None and self._queued:
            self._pump = asyncio.get_running_loop().create_task(self._echo())

    async def _echo(self) -> None:
        frame = self.rate * self.FRAME_MS // 1000
        while not self.echo_sink.closed:
            pcm = await self.echo_sink.aread(frame)
            if len(pcm):
                self.echo_source.push(pcm)

    def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        self.echo_sink.close()
        super().close()
