"""The SPSC sample ring: policies, counters, and a two-thread stress run."""

from __future__ import annotations

import numpy as np
from native_programs import run_native

from siperb import _core


def _pcm(values: range | list[int]) -> np.ndarray:
    return np.array(list(values), dtype=np.int16)


def test_reject_newest_counts_overrun() -> None:
    r = _core.SampleRing(5)
    assert r.write(_pcm(range(3))) == 3
    assert r.write(_pcm(range(3, 7))) == 2  # room for two
    assert r.read(10).tolist() == [0, 1, 2, 3, 4]
    c = r.counters
    assert (c["written"], c["read"], c["overrun_samples"], c["overrun_events"]) == (5, 5, 2, 1)


def test_overwrite_keeps_newest() -> None:
    r = _core.SampleRing(4)
    r.write(_pcm(range(3)))
    assert r.write_overwrite(_pcm(range(3, 6))) == 2  # 0 and 1 discarded
    assert r.read(10).tolist() == [2, 3, 4, 5]
    assert r.write_overwrite(_pcm(range(10))) == 6  # longer than the ring: its last 4
    assert r.read(10).tolist() == [6, 7, 8, 9]
    assert r.counters["overrun_samples"] == 8


def test_wraps_and_counts_underrun() -> None:
    r = _core.SampleRing(3)
    out = []
    for i in range(10):
        r.write(_pcm([i]))
        out += r.read(1).tolist()
    assert out == list(range(10))
    assert len(r.read(2, counted=True)) == 0
    c = r.counters
    assert (c["underrun_samples"], c["underrun_events"]) == (2, 1)


def test_discard_keep_trims_oldest() -> None:
    r = _core.SampleRing(10)
    r.write(_pcm(range(8)))
    assert r.discard_keep(3) == 5
    assert r.read(10).tolist() == [5, 6, 7]


def test_two_thread_stress() -> None:
    """Two threads on one real ring, reject-newest and drop-oldest, three seeds each: every
    read is one clean run of the producer's counter (tests/native/ring_stress.cpp, a test
    program built with the extension but not part of it)."""
    out = run_native("test_ring_stress", timeout=120)
    assert out.count("ok ") == 6, out
