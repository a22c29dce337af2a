"""The pool the media sessions' buffers live in (csrc/common/block_pool.cpp): out of the C heap,
reused by the next session, and given back to the system when the sessions are gone (issue 17:
1,000 sessions' buffers left holes in the C heap that grew resident memory minute by minute)."""

from __future__ import annotations

import gc
import time
from typing import Any

import pytest
from media_helpers import wait_until
from native_programs import run_native

from siperb import _core, media


def test_the_pool_sizes_reuses_and_gives_back_its_slabs() -> None:
    """Sizes, reuse, slabs given back, a flat churn of 1,000 session-like buffer sets, four
    threads at once (tests/native/block_pool.cpp)."""
    out = run_native("test_block_pool", timeout=120)
    assert "FAILED" not in out and out.count("ok ") == 14, out


@pytest.fixture(scope="module")
def engine() -> Any:
    e = media.Engine()
    yield e
    e.stop()


def talking_pair(engine: Any) -> tuple[Any, Any]:
    a = engine.session(media.SessionConfig())
    b = engine.session(media.SessionConfig())
    for x, y in ((a, b), (b, a)):
        x.start(media.StreamParams(
            codec="PCMU", clock_rate=8000, payload_type=0, local_payload_type=0,
            telephone_event_pt=101, remote_address="127.0.0.1", remote_port=y.local_port,
        ))  # fmt: skip
    return a, b


def close_all(pairs: list[tuple[Any, Any]]) -> None:
    """Closes every session and drops the list's references: the buffers go with the objects."""
    for a, b in pairs:
        a.close()
        b.close()
    pairs.clear()
    gc.collect()


def test_sessions_buffers_come_from_the_pool_and_go_back_to_it(engine: Any) -> None:
    gc.collect()
    before = _core.buffer_pool()
    pairs = [talking_pair(engine) for _ in range(20)]
    assert wait_until(lambda: all(s.stats().frames_played > 25 for p in pairs for s in p))
    during = _core.buffer_pool()
    # A PCMU session holds ~77 KB of buffers (sized for 120 ms of 48 kHz audio, a codec change
    # away): well over 40 KB each must be pool blocks, not C heap.
    assert during["in_use"] - before["in_use"] > 40 * 40_000
    assert during["blocks"] - before["blocks"] >= 40 * 8
    close_all(pairs)
    assert wait_until(lambda: _core.buffer_pool()["blocks"] == before["blocks"])
    after = _core.buffer_pool()
    assert after["in_use"] == before["in_use"]
    # What 40 sessions needed went back to the system but one empty slab a size class.
    assert after["slabs"] <= before["slabs"] + 25 and after["slabs_freed"] > before["slabs_freed"]


def test_the_next_sessions_take_the_blocks_the_last_ones_left(engine: Any) -> None:
    gc.collect()
    for _ in range(3):  # warm: the classes' slabs exist
        pairs = [talking_pair(engine) for _ in range(10)]
        time.sleep(0.2)
        peak = _core.buffer_pool()["mapped"]
        close_all(pairs)
    for _ in range(5):
        pairs = [talking_pair(engine) for _ in range(10)]
        time.sleep(0.2)
        assert _core.buffer_pool()["mapped"] <= peak
        close_all(pairs)
