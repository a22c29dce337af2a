"""Outbound campaigns: place calls to a list of targets and run the same handler on each.

:func:`run_campaign` keeps at most ``concurrency`` calls of the worker up at a time (and never
more than the worker's own call limit leaves room for: inbound calls share it), and returns when
every target was called and every handler finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from .handler import HandlerCall
from .worker import ServeWorker

__all__ = ["run_campaign"]

log = logging.getLogger("siperb.serve")


async def run_campaign(
    worker: ServeWorker, targets: Iterable[str], *, concurrency: int = 4, pace: float = 0.0
) -> list[HandlerCall]:
    """Call each target through ``worker`` (``pace`` seconds between call starts); the calls,
    in target order, once all have ended."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    slots = asyncio.Semaphore(concurrency)
    calls: list[HandlerCall] = []
    waits: list[asyncio.Task[None]] = []

    async def one(hc: HandlerCall) -> None:
        try:
            await hc.call.wait_ended()
        finally:
            slots.release()

    for target in targets:
        await slots.acquire()
        while worker.refusal() is not None:  # full (inbound calls took the room) or draining
            if worker.draining:
                slots.release()
                await asyncio.gather(*waits)
                return calls
            await asyncio.sleep(0.1)
        try:
            hc = await worker.dial(target)
        except Exception:
            slots.release()
            log.exception("campaign: could not call %s", target)
            continue
        calls.append(hc)
        waits.append(asyncio.get_running_loop().create_task(one(hc)))
        if pace > 0:
            await asyncio.sleep(pace)
    await asyncio.gather(*waits)
    return calls
