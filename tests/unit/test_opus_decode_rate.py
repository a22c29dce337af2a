"""The Opus decoder's rate follows what the session's audio is played and recorded at when
``opus_decode_rate`` is left at 0: a 16 kHz sink does not pay for a 48 kHz decode and a
resampler, a 48 kHz sink keeps the full band, a pinned rate is kept whatever the sink."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import dominant_frequency, rms, wait_until

from siperb import media


@pytest.fixture(scope="module")
def engine():
    e = media.Engine(cpu_governor=False)
    yield e
    e.stop()


def _opus(port: int) -> media.StreamParams:
    return media.StreamParams(
        codec="opus", clock_rate=48000, payload_type=111, local_payload_type=111,
        remote_address="127.0.0.1", remote_port=port,
    )  # fmt: skip


def _call(engine: media.Engine, freq: float, sink: media.MemorySink | None, **cfg: int):
    """a sends a tone to b (b's sink set before start, as the call glue does)."""
    a = engine.session()
    b = engine.session(media.SessionConfig(**cfg))
    if sink is not None:
        b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(freq, 3, 48000), 48000, loop=True))
    b.start(_opus(a.local_port))
    a.start(_opus(b.local_port))
    return a, b


def _heard(sink: media.MemorySink, seconds: float = 1.0) -> float:
    """The dominant frequency of the last `seconds` the sink got (after at least that much)."""
    rate = sink.sample_rate
    start = len(sink)
    assert wait_until(lambda: len(sink) >= start + rate * seconds)
    got = sink.samples()[-int(rate * seconds) :]
    assert rms(got) > 1000
    return dominant_frequency(got, rate)


def test_a_48khz_sink_keeps_the_full_band(engine) -> None:
    sink = media.MemorySink(48000, 48000 * 4)
    a, b = _call(engine, 12000, sink)
    try:
        assert wait_until(lambda: b.stats().packets_received > 25)
        assert b.stats().decode_rate == 48000
        assert abs(_heard(sink) - 12000) < 50  # above wide band: only a full-band decode has it
    finally:
        a.close()
        b.close()


def test_a_16khz_sink_decodes_at_16khz(engine) -> None:
    sink = media.MemorySink(16000, 16000 * 4)
    a, b = _call(engine, 1000, sink)
    try:
        assert wait_until(lambda: b.stats().packets_received > 25)
        assert b.stats().decode_rate == 16000
        assert abs(_heard(sink) - 1000) < 20
    finally:
        a.close()
        b.close()


def test_without_sink_8khz_and_a_pinned_rate_is_kept(engine) -> None:
    a, b = _call(engine, 1000, None)
    c, d = _call(engine, 1000, media.MemorySink(16000, 16000), opus_decode_rate=48000)
    try:
        assert wait_until(lambda: b.stats().ticks > 5 and d.stats().ticks > 5)
        assert b.stats().decode_rate == 8000  # a level meter needs no more
        assert d.stats().decode_rate == 48000
        assert a.stats().decode_rate == 8000  # a's side has no sink either
    finally:
        for s in (a, b, c, d):
            s.close()


def test_the_rate_follows_a_sink_and_a_recorder_changed_mid_call(engine, tmp_path: Path) -> None:
    narrow = media.MemorySink(16000, 16000 * 4)
    a, b = _call(engine, 12000, narrow)
    try:
        assert wait_until(
            lambda: b.stats().decode_rate == 16000 and b.stats().packets_received > 25
        )
        wide = media.MemorySink(48000, 48000 * 4)
        b.set_sink(wide)
        assert wait_until(lambda: b.stats().decode_rate == 48000)  # published at the next tick
        assert abs(_heard(wide) - 12000) < 50
        b.set_sink(narrow)
        assert wait_until(lambda: b.stats().decode_rate == 16000)
        b.start_recording(tmp_path / "call.wav", sample_rate=24000)  # records what it receives
        assert wait_until(lambda: b.stats().decode_rate == 24000)
        b.stop_recording()
        assert wait_until(lambda: b.stats().decode_rate == 16000)
        b.set_sink(None)
        assert wait_until(lambda: b.stats().decode_rate == 8000)
    finally:
        a.close()
        b.close()
