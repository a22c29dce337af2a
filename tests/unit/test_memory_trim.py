"""When a ``malloc_trim`` runs (issue 17): after a burst of frees, not through a steady churn.

A trim takes every arena's lock while it walks the heap, and the pages it gives back fault in
again at the next allocation; trimming a busy ~200 MB heap every ten seconds made a 500-call
soak's setup times and late ticks climb minute after minute. A trim now runs only when the
allocator holds more free bytes than it has handed out.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from siperb import _memory


def test_trim_only_when_the_free_bytes_outweigh_those_in_use() -> None:
    mb = 1 << 20
    assert not _memory.worth_trimming(200 * mb, 40 * mb), "a steady churn: its pages are reused"
    assert _memory.worth_trimming(15 * mb, 300 * mb), "after a burst of frees"
    assert not _memory.worth_trimming(1 * mb, 8 * mb), "a small heap is not worth the locks"


def _run_trim(monkeypatch: Any, in_use: int, free: int) -> list[int]:
    ran: list[int] = []
    done = threading.Event()
    monkeypatch.setitem(_memory._state, "fn", lambda pad: ran.append(pad) or 1)
    monkeypatch.setitem(_memory._state, "last", float("-inf"))
    monkeypatch.setitem(_memory._state, "timer", None)
    monkeypatch.setattr(_memory, "heap", lambda: (in_use, free))
    real = _memory._trim

    def trim() -> None:
        real()
        done.set()

    monkeypatch.setattr(_memory, "_trim", trim)
    _memory.release_soon()
    assert done.wait(5)
    return ran


def test_a_trim_is_skipped_on_a_busy_heap_and_timed_after_frees(monkeypatch: Any) -> None:
    monkeypatch.setattr(_memory, "stats", dict.fromkeys(_memory.stats, 0))
    assert _run_trim(monkeypatch, 200 << 20, 40 << 20) == []
    assert (_memory.stats["skipped"], _memory.stats["trims"]) == (1, 0)
    t0 = time.monotonic()
    assert _run_trim(monkeypatch, 15 << 20, 300 << 20) == [0]
    assert (_memory.stats["skipped"], _memory.stats["trims"]) == (1, 1)
    assert 0 <= _memory.stats["seconds"] <= time.monotonic() - t0
    assert _memory.stats["longest"] == _memory.stats["seconds"]


def test_heap_reads_the_allocator() -> None:
    in_use, free = _memory.heap()
    block = bytearray(64 << 20)  # an mmapped chunk: in use
    assert _memory.heap()[0] >= in_use + (64 << 20)
    del block
    assert free >= 0
