"""BufferSource / BufferSink: overflow policies, underrun counters, blocking and asyncio reads."""

from __future__ import annotations

import asyncio
import select
import threading

import numpy as np
import pytest

from siperb import audio
from siperb.errors import MediaError


def _pcm(values: range) -> np.ndarray:
    return np.array(list(values), dtype=np.int16)


def test_source_drop_oldest_keeps_latest_audio() -> None:
    src = audio.BufferSource(8000, 10)
    assert src.overflow == "drop_oldest"
    assert src.push(_pcm(range(8))) == 8
    assert src.push(_pcm(range(8, 14))) == 6  # all taken, 0..3 dropped
    assert src.queued == 10
    assert src.read(20).tolist() == list(range(4, 14))
    c = src.counters
    assert (c["overrun_samples"], c["overrun_events"]) == (4, 1)
    assert (c["underrun_samples"], c["underrun_events"]) == (10, 1)


def test_source_reject_newest_refuses_what_does_not_fit() -> None:
    src = audio.BufferSource(8000, 10, overflow="reject_newest")
    assert src.push(_pcm(range(8))) == 8
    assert src.push(_pcm(range(8, 14))) == 2
    assert src.read(10).tolist() == list(range(10))
    assert src.counters["overrun_samples"] == 4


def test_source_end_drains_then_ends_without_underruns() -> None:
    src = audio.BufferSource(16000, 100)
    src.push(_pcm(range(30)))
    src.end()
    assert src.push(_pcm(range(5))) == 0 and not src.ended
    assert len(src.read(20)) == 20 and not src.ended
    assert len(src.read(20)) == 10 and src.ended
    assert src.counters["underrun_samples"] == 0


def test_source_is_an_engine_audio_source() -> None:
    assert isinstance(audio.BufferSource(8000, 10), audio.AudioSource)
    assert isinstance(audio.BufferSink(8000, 10), audio.AudioSink)


@pytest.mark.parametrize(
    ("rate", "capacity", "field"),
    [(10, 10, "sample_rate"), (8000, 0, "capacity"), (8000, 10**7, "capacity")],
)
def test_bad_parameters(rate: int, capacity: int, field: str) -> None:
    with pytest.raises(MediaError) as e:
        audio.BufferSource(rate, capacity)
    assert e.value.field == field
    with pytest.raises(MediaError) as e:
        audio.BufferSink(8000, 10, overflow="block")
    assert e.value.field == "overflow"


def test_sink_frames_and_nowait() -> None:
    sink = audio.BufferSink(8000, 100)
    sink.write(_pcm(range(50)))
    assert sink.read_nowait(60) is None  # all or nothing
    assert sink.read_nowait(40).tolist() == list(range(40))
    assert sink.read(10, timeout=0).tolist() == list(range(40, 50))
    assert len(sink.read(10, timeout=0)) == 0  # timed out, nothing queued


def test_sink_overflow_policies() -> None:
    keep_new = audio.BufferSink(8000, 4)
    keep_new.write(_pcm(range(6)))
    assert keep_new.read(4).tolist() == [2, 3, 4, 5]
    keep_old = audio.BufferSink(8000, 4, overflow="reject_newest")
    keep_old.write(_pcm(range(6)))
    assert keep_old.read(4).tolist() == [0, 1, 2, 3]
    assert keep_new.counters["overrun_samples"] == keep_old.counters["overrun_samples"] == 2


def test_sink_blocking_read_wakes_on_data_from_another_thread() -> None:
    sink = audio.BufferSink(8000, 1000)
    got: list[np.ndarray] = []
    t = threading.Thread(target=lambda: got.append(sink.read(320)))
    t.start()
    for i in range(4):  # the engine writes 4 x 80 samples
        sink.write(_pcm(range(i * 80, (i + 1) * 80)))
    t.join(timeout=30)
    assert not t.is_alive()
    assert got[0].tolist() == list(range(320))


def test_sink_close_wakes_a_blocked_reader_with_the_rest() -> None:
    sink = audio.BufferSink(8000, 1000)
    sink.write(_pcm(range(7)))
    got: list[np.ndarray] = []
    t = threading.Thread(target=lambda: got.append(sink.read(160)))
    t.start()
    sink.close()
    t.join(timeout=30)
    assert not t.is_alive() and got[0].tolist() == list(range(7))
    sink.write(_pcm(range(3)))  # after close: ignored
    assert sink.queued == 0


def test_sink_fileno_readable_once_armed_amount_arrives() -> None:
    sink = audio.BufferSink(8000, 1000)
    sink.arm(100)
    assert select.select([sink.fileno()], [], [], 0)[0] == []
    sink.write(_pcm(range(60)))
    assert select.select([sink.fileno()], [], [], 0)[0] == []
    sink.write(_pcm(range(60)))
    assert select.select([sink.fileno()], [], [], 0)[0] == [sink.fileno()]
    sink.clear_event()
    assert select.select([sink.fileno()], [], [], 0)[0] == []


def test_async_read() -> None:
    async def main() -> tuple[list[int], list[int], list[int]]:
        sink = audio.BufferSink(8000, 1000)
        first = asyncio.ensure_future(sink.aread(100))
        await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        # An engine thread delivers in pieces; the reader wakes once 100 are there.
        await loop.run_in_executor(None, sink.write, _pcm(range(60)))
        await asyncio.sleep(0.01)
        assert not first.done()
        await loop.run_in_executor(None, sink.write, _pcm(range(60, 150)))
        a = await asyncio.wait_for(first, 30)
        b = await asyncio.wait_for(sink.aread(50), 30)  # already there
        tail = asyncio.ensure_future(sink.aread(80))
        await loop.run_in_executor(None, sink.write, _pcm(range(150, 160)))
        sink.close()
        c = await asyncio.wait_for(tail, 30)
        return a.tolist(), b.tolist(), c.tolist()

    a, b, c = asyncio.run(main())
    assert a == list(range(100)) and b == list(range(100, 150)) and c == list(range(150, 160))
