"""Giving the C allocator's free pages back to the system after a burst of frees.

glibc keeps freed memory in each thread's arena for reuse and returns it to the system only
when asked (``malloc_trim``). A phone frees in bursts: a call's native media state (~115 KB a
side) when its session closes, and its SIP transactions (the requests and responses, ~30 KB a
call) 64*T1 = 32 s after it ended. After 10,000 back-to-back calls the soak's resident memory
stayed at 360 MB while the bytes in use had gone back to 15 MB (issue 17). Whoever frees in
bulk calls :func:`release_soon`; one trim, on its own thread, follows within ``TRIM_INTERVAL``
of the last call and at most one runs per interval, so a steady stream of frees costs one trim
every ten seconds and the last free of a burst is always followed by one.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import threading
import time
from collections.abc import Callable
from typing import Any

#: Seconds between two trims.
TRIM_INTERVAL = 10.0

_lock = threading.Lock()
_state: dict[str, Any] = {"last": float("-inf"), "timer": None, "pid": None, "fn": None}


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None with another C library)."""
    if _state["fn"] is None:
        fn: Any = False
        name = ctypes.util.find_library("c")
        with contextlib.suppress(OSError, AttributeError):
            fn = ctypes.CDLL(name).malloc_trim if name else False
        _state["fn"] = fn
    return _state["fn"] or None


def _trim() -> None:
    with _lock:
        _state["timer"] = None
        _state["last"] = time.monotonic()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def release_soon(interval: float | None = None) -> None:
    """Ask for a trim after memory was freed: at once (on a helper thread) when none ran in the
    last ``interval`` (:data:`TRIM_INTERVAL`) seconds, else when the interval is over; one
    pending trim covers every call made before it runs. Never blocks the caller (an event loop
    may call it)."""
    with _lock:
        if _state["pid"] != os.getpid():  # a fork: the parent's pending timer is not here
            _state["pid"], _state["timer"] = os.getpid(), None
        if _state["timer"] is not None:
            return
        every = TRIM_INTERVAL if interval is None else interval
        delay = max(0.0, _state["last"] + every - time.monotonic())
        timer = threading.Timer(delay, _trim)
        timer.daemon = True
        timer.name = "siperb-trim"
        _state["timer"] = timer
        timer.start()
