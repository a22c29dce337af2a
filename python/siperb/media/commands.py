"""One ordered command queue per media engine: session commands off the event loop, in order.

Starting, updating and closing an engine session each wait for the engine thread, and under
CPU load that wait is a scheduler slice or more. With hundreds of calls setting up and ending
at once, those waits on the event loop stalled every other call's signalling (issue 17: setup
p99 13.6 s at 500 concurrent calls). A call's media commands (start, re-configure, source and
sink changes, DTMF, close) run here instead, in the order asked for each session: a start, a
later hold and a close of the same session cannot overtake each other.

A session's commands all go to one lane (a thread; the session id picks it), so they run in
order; the engine's lanes run side by side. One lane alone was too slow: each command waits
for the engine thread, which takes the commands waiting for it only between its packet ticks,
so one command in flight at a time capped a busy engine at a few dozen per second (a profile
of 500 concurrent calls: the closer thread waited 70 % of the time, its queue growing). With
several lanes the engine thread takes several waiting commands at once.

A command that fails is given to its ``on_error`` (on this thread; hop to the loop with
``loop.call_soon_threadsafe``), or logged.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

_queues: weakref.WeakSet[CommandQueue] = weakref.WeakSet()
_queues_lock = threading.Lock()


#: Lanes per engine: commands of different sessions in flight at once.
LANES = 8


class CommandQueue:
    """Commands in lanes, each one thread (created lazily, again after a fork): the commands
    of one lane run one at a time, in the order submitted."""

    def __init__(self, name: str = "siperb-media", lanes: int = LANES) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._lanes: list[ThreadPoolExecutor | None] = [None] * lanes
        self._pid = os.getpid()
        with _queues_lock:
            _queues.add(self)

    def _executor(self, lane: int) -> ThreadPoolExecutor:
        with self._lock:
            if self._pid != os.getpid():  # a fork: the parent's threads are not here
                self._lanes, self._pid = [None] * len(self._lanes), os.getpid()
            pool = self._lanes[lane]
            if pool is None:
                pool = ThreadPoolExecutor(1, thread_name_prefix=f"{self._name}-{lane}")
                self._lanes[lane] = pool
            return pool

    def submit(
        self,
        fn: Callable[[], Any],
        on_error: Callable[[BaseException], None] | None = None,
        *,
        key: int = 0,
    ) -> Future[None]:
        """Run ``fn`` after every command submitted before it with the same ``key`` (a
        session id: the same lane); failures go to ``on_error``."""

        def run() -> None:
            try:
                fn()
            except Exception as exc:
                if on_error is None:
                    log.warning("media command failed: %s", exc)
                else:
                    on_error(exc)

        return self._executor(key % len(self._lanes)).submit(run)

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every command submitted so far has run (a no-op queued behind them)."""
        with self._lock:
            used = [i for i, pool in enumerate(self._lanes) if pool is not None]
        for f in [self._executor(i).submit(lambda: None) for i in used]:
            f.result(timeout)


def drain_all(timeout: float | None = None) -> None:
    """Drain every engine's queue: for a caller that counts descriptors or memory, or reads a
    session's state, right after asking for commands."""
    with _queues_lock:
        queues = list(_queues)
    for q in queues:
        q.drain(timeout)
