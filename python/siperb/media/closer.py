"""Closing engine sessions without making the event loop wait for the engine thread.

``MediaSession.close`` runs on the engine thread and waits for it. Under CPU load that wait
is a scheduler slice or more, and a burst of hang-ups (every call of a soak ending at once)
held the event loop long enough to stall every other call's signalling (issue 17). A call's
media is closed here instead, on one closer thread per process, in the order asked.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from .engine import MediaSession

_lock = threading.Lock()
_closer: tuple[int, ThreadPoolExecutor] | None = None  # (pid, executor): a fork makes its own


def _executor() -> ThreadPoolExecutor:
    global _closer
    with _lock:
        if _closer is None or _closer[0] != os.getpid():
            _closer = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="siperb-close"))
        return _closer[1]


def close_soon(session: MediaSession) -> None:
    """Close ``session`` on the closer thread; ``session.closed`` is true at once.

    A session that records closes here and now: its file is complete when the call has ended.
    """
    if session._closing:
        return
    if session._recorder is not None:
        session.close()
        return
    session._closing = True
    _executor().submit(session.close)


def drain(timeout: float | None = None) -> None:
    """Wait until every close asked for so far has run (one thread, in order: a no-op queued
    behind them). For a caller that counts descriptors or memory right after closing media."""
    _executor().submit(lambda: None).result(timeout)
