"""The native AudioPipe: what one engine session receives is what another sends (the
PhoneFrame's "This browser" bridge), engine thread only, bounded."""

from __future__ import annotations

import pytest
from media_helpers import dominant_frequency, rms, wait_until

from siperb import _core, media
from siperb.errors import MediaError


def _params(port: int) -> media.StreamParams:
    return media.StreamParams(codec="PCMU", clock_rate=8000, payload_type=0,
                              local_payload_type=0, remote_address="127.0.0.1",
                              remote_port=port)  # fmt: skip


def test_a_pipe_carries_one_sessions_received_audio_to_another_sessions_sender() -> None:
    engine = media.Engine()
    sessions = [engine.session(media.SessionConfig()) for _ in range(4)]
    a, b, c, d = sessions
    try:
        pipe = _core.AudioPipe(16000, 200)
        assert pipe.capacity == 3200  # 200 ms at 16 kHz: the bound on the bridge's delay
        b.set_sink(pipe.sink)  # a -> b, then through the pipe: c -> d
        c.set_source(pipe.source)
        heard = media.MemorySink(8000, 8000 * 10)
        d.set_sink(heard)
        a.set_source(media.MemorySource(media.tone(700, 2, 8000), 8000, loop=True))
        a.start(_params(b.local_port))
        b.start(_params(a.local_port))
        c.start(_params(d.local_port))
        d.start(_params(c.local_port))
        assert wait_until(lambda: len(heard) >= 8000 * 2, 10)
        last = heard.samples()[-8000:]
        assert abs(dominant_frequency(last, 8000) - 700) < 15
        assert rms(last) > 1000
        counters = pipe.counters
        assert counters["written"] > 16000 and counters["read"] > 16000
        assert counters["overrun_samples"] == 0
    finally:
        for s in sessions:
            s.close()
        engine.stop()


@pytest.mark.parametrize(
    "rate,ms,field",
    [(1000, 200, "sample_rate"), (96000, 200, "sample_rate"), (16000, 5, "capacity_ms"),
     (16000, 5000, "capacity_ms")],
)  # fmt: skip
def test_bad_pipe_sizes_are_refused_naming_the_field(rate: int, ms: int, field: str) -> None:
    with pytest.raises(MediaError) as info:
        _core.AudioPipe(rate, ms)
    assert info.value.field == field
