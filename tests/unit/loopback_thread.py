"""The demo's LoopbackService on a thread of its own, for tests that drive the blocking CLI
against it (tests/unit/test_cli.py, test_cli_polish.py)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from siperb.demo import LoopbackService


@contextlib.contextmanager
def loopback() -> Iterator[int]:
    """A LoopbackService on its own thread and loop; its port."""
    started, stop = threading.Event(), threading.Event()
    ports: list[int] = []

    def serve() -> None:
        async def main() -> None:
            async with LoopbackService() as svc:
                ports.append(svc.port)
                started.set()
                while not stop.is_set():
                    await asyncio.sleep(0.05)

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield ports[0]
    finally:
        stop.set()
        thread.join(10)
