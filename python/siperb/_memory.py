"""Giving the C allocator's free pages back to the system after a burst of frees.

glibc keeps freed memory in each thread's arena for reuse and returns it to the system only
when asked (``malloc_trim``). A phone frees in bursts: a call's native media state when its
session closes (its large buffers, ~80 KB a side, are in a pool of their own that gives its
slabs back by itself: ``csrc/common/block_pool.hpp``), and its SIP state after the call.
After 10,000 back-to-back calls the soak's resident memory once stayed at 360 MB while the
bytes in use had gone back to 15 MB (issue 17). Whoever frees in bulk calls
:func:`release_soon`; one trim, on its own thread, follows within ``TRIM_INTERVAL`` of the last
call and at most one runs per interval, so a steady stream of frees costs one trim every ten
seconds and the last free of a burst is always followed by one.

A trim is not free: it takes every arena's lock while it walks the heap and gives pages back,
and the engine threads allocate under those locks; the pages it gave back fault in again at the
next allocation. Trimming every ten seconds through a 500-call soak made setup times and the
engine's late ticks climb minute after minute (issue 17). So a trim runs only when the
allocator's free bytes grew since the fewest it held after the last trim by
:data:`TRIM_FREE_STEP` (4 MB) or a 32nd of the bytes in use, whichever is more: after a burst
of frees (the sequential soak: ~100 MB; the transactions expiring 32 s after the last call
free ~14 MB more, which a fixed 16 MB step left in RSS), and through a steady churn only as
often as its free pages really pile up (500 concurrent calls: 131 MB in use, free growing
~1.4 MB a minute with RSS following it: a trim every few minutes instead of six a minute).
When the requests stop after a burst (:data:`QUIET_BURST` of them since the last trim, then
none for :data:`QUIET_AFTER` s), one trim runs whatever the free bytes did. Each trim's
duration is logged at DEBUG and counted in :data:`stats`.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: Seconds between two trims.
TRIM_INTERVAL = 10.0
#: A trim runs when the allocator's free bytes grew by this much (or a 32nd of the bytes in
#: use, if more) since the last one (0: always).
TRIM_FREE_STEP = 4 << 20

#: Seconds without a request after which a burst of frees is over.
QUIET_AFTER = 3.0
#: Requests since the last trim that make a burst: once it is over, one trim runs whatever the
#: free bytes did. Pages a trim gave back fault in again when reused and, freed again, stay
#: resident without adding to the free bytes: 10,000 back-to-back calls left the main heap's
#: resident pages 4.3 MB up with its free bytes where they were.
QUIET_BURST = 100

#: Trims asked for, run, skipped (not enough free), and the seconds they took (total, longest);
#: ``quiet``: those run at the end of a burst.
stats: dict[str, float] = {
    "asked": 0, "trims": 0, "skipped": 0, "seconds": 0.0, "longest": 0.0, "quiet": 0,
}  # fmt: skip

_lock = threading.Lock()
_state: dict[str, Any] = {
    "last": float("-inf"), "timer": None, "pid": None, "fn": None, "info": None, "floor": 0,
    "asked_at_trim": 0,
}  # fmt: skip


class _MallInfo2(ctypes.Structure):
    _NAMES = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    _fields_ = [(n, ctypes.c_size_t) for n in _NAMES.split()]


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None with another C library)."""
    fn: Callable[[int], int] | None = _libc_fn("malloc_trim", "fn")
    return fn


def _libc_fn(name: str, key: str) -> Any:
    if _state[key] is None:
        fn: Any = False
        # The C library is mapped already: look in the process itself. ctypes.util.find_library
        # would fork ``ldconfig -p`` from the trim's daemon thread, which a short-lived process
        # can exit in the middle of (LeakSanitizer reported the half-done fork, issue 17).
        with contextlib.suppress(OSError, AttributeError):
            fn = getattr(ctypes.CDLL(None), name)
        _state[key] = fn
    return _state[key] or None


def heap() -> tuple[int, int]:
    """Bytes the C allocator has handed out (every arena and mmapped chunk) and bytes it holds
    free (glibc ``mallinfo2``; (0, 0) with another C library)."""
    fn = _libc_fn("mallinfo2", "info")
    if fn is None:
        return 0, 0
    fn.restype = _MallInfo2
    info = fn()
    return int(info.uordblks + info.hblkhd), int(info.fordblks)


def worth_trimming(free: int, floor: int, in_use: int) -> bool:
    """Whether the free bytes grew enough over ``floor`` (the fewest since the last trim) to pay
    for a trim's locks (see the module's note)."""
    if TRIM_FREE_STEP <= 0:
        return True
    return free - floor >= max(TRIM_FREE_STEP, in_use // 32)


def _trim(quiet: bool = False) -> None:
    with _lock:
        _state["timer"] = None
        _state["last"] = time.monotonic()
    trim = _malloc_trim()
    if trim is None:
        return
    in_use, free = heap()
    if not quiet and not worth_trimming(free, _state["floor"], in_use):
        _state["floor"] = min(_state["floor"], free)
        stats["skipped"] += 1
        _watch_for_quiet()
        return
    t0 = time.perf_counter()
    trim(0)
    took = time.perf_counter() - t0
    _state["floor"] = heap()[1]  # trimmed pages stay on the free lists: grow from here
    _state["asked_at_trim"] = stats["asked"]
    stats["trims"] += 1
    stats["quiet"] += quiet
    stats["seconds"] += took
    stats["longest"] = max(stats["longest"], took)
    log.debug("malloc_trim: %.1f ms (%.1f MB in use, %.1f MB free)", took * 1e3, in_use / 1e6,
              free / 1e6)  # fmt: skip


def _watch_for_quiet() -> None:
    """After a skipped trim: every :data:`QUIET_AFTER` s, whether the requests stopped. When
    they did after a burst (:data:`QUIET_BURST` since the last trim), one trim runs; while they
    go on, the free bytes' rule is asked again every :data:`TRIM_INTERVAL` (a steady churn
    trims no more often than before); after a few requests, nothing."""
    with _lock:
        if _state["timer"] is not None:
            return
        timer = threading.Timer(QUIET_AFTER, _quiet, args=(stats["asked"],))
        timer.daemon = True
        timer.name = "siperb-trim"
        _state["timer"] = timer
        timer.start()


def _quiet(asked: float) -> None:
    with _lock:
        _state["timer"] = None
        going_on = stats["asked"] != asked
        due = time.monotonic() - _state["last"] >= TRIM_INTERVAL
        burst = stats["asked"] - _state["asked_at_trim"] >= QUIET_BURST
    if going_on:
        if due:
            _trim()
        else:
            _watch_for_quiet()
    elif burst:
        _trim(quiet=True)


def release_soon(interval: float | None = None) -> None:
    """Ask for a trim after memory was freed: at once (on a helper thread) when none ran in the
    last ``interval`` (:data:`TRIM_INTERVAL`) seconds, else when the interval is over; one
    pending trim covers every call made before it runs. Never blocks the caller (an event loop
    may call it)."""
    with _lock:
        stats["asked"] += 1
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
