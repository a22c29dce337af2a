"""A worker's counters, as Prometheus text on a local HTTP endpoint.

``GET /metrics`` on 127.0.0.1 (the port given, or a free one) answers the text exposition format;
anything else is 404. The server reads one request line and its headers (bounded: 8 KiB, 5 s)
and closes the connection, so a scraper cannot hold memory or a task open.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["MetricsServer", "WorkerMetrics"]

MAX_REQUEST = 8192
READ_TIMEOUT = 5.0


@dataclass
class WorkerMetrics:
    """What one worker counts; ``active``, ``late_frames`` are read when scraped."""

    worker: int = 0
    calls_total: int = 0  # calls handed to the handler (both directions)
    calls_setup: int = 0  # answered (2xx)
    calls_failed: int = 0  # handler raised, or the call ended on an error status
    calls_rejected: int = 0  # 503 at the call limit or while draining
    call_seconds: float = 0.0  # answered seconds of ended calls
    started: float = field(default_factory=time.monotonic)
    active: Callable[[], int] = lambda: 0
    late_frames: Callable[[], int] = lambda: 0
    draining: Callable[[], bool] = lambda: False

    def cpu_seconds(self) -> float:
        return time.process_time()

    def render(self) -> str:
        """The text exposition format (one gauge or counter a line, worker label)."""
        label = f'{{worker="{self.worker}"}}'
        cpu = self.cpu_seconds()
        per_call = cpu / self.call_seconds if self.call_seconds > 0 else 0.0
        rows = [
            ("siperb_serve_calls_active", "gauge", "calls in progress", self.active()),
            ("siperb_serve_calls_total", "counter", "calls handled", self.calls_total),
            ("siperb_serve_calls_setup_total", "counter", "calls answered", self.calls_setup),
            ("siperb_serve_calls_failed_total", "counter", "calls failed", self.calls_failed),
            (
                "siperb_serve_calls_rejected_total",
                "counter",
                "INVITEs refused with 503",
                self.calls_rejected,
            ),
            (
                "siperb_serve_media_late_frames_total",
                "counter",
                "media packet times the engine served late",
                self.late_frames(),
            ),
            ("siperb_serve_cpu_seconds_total", "counter", "process CPU time", cpu),
            ("siperb_serve_call_seconds_total", "counter", "answered call time", self.call_seconds),
            (
                "siperb_serve_cpu_per_call_second",
                "gauge",
                "CPU seconds per second of answered call",
                per_call,
            ),
            ("siperb_serve_draining", "gauge", "1 while draining", int(self.draining())),
        ]
        out: list[str] = []
        for name, kind, text, value in rows:
            out += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name}{label} {value}"]
        return "\n".join(out) + "\n"


class MetricsServer:
    """``/metrics`` over HTTP/1.0 on a loopback address."""

    def __init__(self, metrics: WorkerMetrics, host: str = "127.0.0.1", port: int = 0):
        self.metrics = metrics
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, limit=MAX_REQUEST
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        except (
            asyncio.TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
        ):
            writer.close()
            return
        line = head[:MAX_REQUEST].split(b"\r\n", 1)[0].split()
        if len(line) >= 2 and line[0] == b"GET" and line[1].split(b"?")[0] == b"/metrics":
            body = self.metrics.render().encode()
            status = b"200 OK"
            ctype = b"text/plain; version=0.0.4"
        else:
            body, status, ctype = b"not found\n", b"404 Not Found", b"text/plain"
        writer.write(
            b"HTTP/1.0 "
            + status
            + b"\r\nContent-Type: "
            + ctype
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
