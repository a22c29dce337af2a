"""The engine's CPU governor: the sans-IO state machine under synthetic loads (a native test
program, tests/native/cpu_governor.cpp), and a real engine thread that lowers its Opus
encoders' complexity when it runs short of time and raises it again when the load goes."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest
from media_helpers import opus_band_hz, wait_until
from native_programs import run_native

from siperb import media
from siperb.media.codecs.signals import speech_like

CASES = (
    "overload_steps_down_to_floor",
    "one_burst_is_not_overuse",
    "late_tick_lowers_at_once",
    "scheduler_latency_is_not_ours",
    "idle_recovers_one_step_per_hold",
    "dead_band_holds",
    "bounce_backs_off",
    "floor_and_ceiling",
    "ceiling_follows_sessions",
    "most_expensive_lowered_first",
    "each_session_within_its_range",
    "newcomers_start_at_the_median",
)


def test_governor_state_machine() -> None:
    """Rises, falls, one burst ignored, a late tick acted on at once (but not the
    scheduler's wake-up latency), the dead band between the two thresholds, the doubling hold
    after a bounce, floor and ceiling, no level above the sessions' configured complexity."""
    out = run_native("test_cpu_governor")
    assert sorted(out.split()[1::2]) == sorted(CASES), out


def _opus_pair(engine: media.Engine, signal: np.ndarray, shift: int, complexity: int = 10):
    cfg = media.SessionConfig(opus_complexity=complexity)
    a, b = engine.session(cfg), engine.session(cfg)
    common = dict(codec="opus", clock_rate=48000, payload_type=111, local_payload_type=111)
    a.start(media.StreamParams(remote_address="127.0.0.1", remote_port=b.local_port, **common))
    b.start(media.StreamParams(remote_address="127.0.0.1", remote_port=a.local_port, **common))
    for s, k in ((a, shift), (b, shift + 7919)):
        s.set_source(media.MemorySource(np.roll(signal, k), 48000, loop=True))
    return a, b


def _load_until_lowered(engine: media.Engine, max_pairs: int = 150) -> list[media.MediaSession]:
    """Opus calls (complexity 10) added to one engine thread ten at a time until it lowers
    them: how many that takes depends on the machine and its load, not on a guess."""
    signal = speech_like(2.0, 48000, seed=3)
    sessions: list[media.MediaSession] = []
    while len(sessions) < 2 * max_pairs:
        for _ in range(10):
            sessions += _opus_pair(engine, signal, 997 * len(sessions))
        if wait_until(lambda: engine.stats()["complexity_down"] > 0, timeout=1.5):
            return sessions
    pytest.fail(f"{max_pairs} Opus calls never made the engine thread lower complexity")


def test_g711_session_has_no_complexity() -> None:
    engine = media.Engine()
    try:
        a = engine.session()
        a.start(media.StreamParams(codec="PCMU", remote_address="127.0.0.1", remote_port=9))
        assert wait_until(lambda: a.stats().ticks > 3)
        assert a.stats().opus_complexity == -1
        stats = engine.stats()
        assert stats["complexity_level"] == 10 and stats["complexity_down"] == 0
    finally:
        engine.stop()


def _level(s: media.MediaSession) -> int:
    """The governor's level a session runs at: its complexity, or below 0 its band cap."""
    st = s.stats()
    return {8000: -1, 6000: -2, 4000: -3}.get(st.opus_band_hz, st.opus_complexity)


def test_complexity_drops_under_load_and_recovers() -> None:
    """Opus sessions at complexity 10 pile up on one thread until its busy share crosses the
    governor's mark: sessions' encoders step down (the session stats say so, each its own
    level; the engine's level is the lowest), and once most calls hang up the thread has room
    again and steps the ones left back up to their ceiling."""
    engine = media.Engine(threads=1)
    try:
        sessions = _load_until_lowered(engine)
        assert wait_until(lambda: min(_level(s) for s in sessions) < 10, timeout=2)
        assert engine.stats()["complexity_level"] < 10
        time.sleep(1.0)  # let it settle, then take the load away
        assert wait_until(
            lambda: engine.stats()["complexity_level"] == min(_level(s) for s in sessions)
        )
        ranked = sorted(sessions, key=_level)
        keep = ranked[:2]  # the two lowest stay
        low = min(_level(s) for s in keep)
        assert low < 10
        for s in ranked[2:]:
            s.close()
        assert wait_until(lambda: engine.stats()["complexity_up"] > 0, timeout=20)
        assert wait_until(lambda: min(_level(s) for s in keep) > low, timeout=20)
    finally:
        engine.stop()


def test_governor_off_keeps_the_configured_complexity() -> None:
    """The same kind of load with the switch off: no steps, the configured complexity stays."""
    engine = media.Engine(threads=1, cpu_governor=False)
    try:
        signal = speech_like(2.0, 48000, seed=3)
        sessions = [s for i in range(30) for s in _opus_pair(engine, signal, 997 * i, 7)]
        assert wait_until(lambda: all(s.stats().ticks > 50 for s in sessions), timeout=10)
        assert {s.stats().opus_complexity for s in sessions} == {7}
        stats = engine.stats()
        assert stats["complexity_down"] == stats["complexity_up"] == 0
    finally:
        engine.stop()


def _bands_sent(complexity: int, packets: int = 100) -> list[int]:
    """The audio band of each Opus packet one session sends at `complexity` (governor off),
    read from the RTP payloads' TOC bytes at a plain UDP socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5.0)
    engine = media.Engine(threads=1, cpu_governor=False)
    try:
        a = engine.session(media.SessionConfig(opus_complexity=complexity))
        a.set_source(media.MemorySource(speech_like(2.0, 48000, seed=4), 48000, loop=True))
        a.start(
            media.StreamParams(
                codec="opus",
                clock_rate=48000,
                payload_type=111,
                local_payload_type=111,
                remote_address="127.0.0.1",
                remote_port=sock.getsockname()[1],
            )
        )
        bands = []
        while len(bands) < packets:
            data = sock.recv(2048)
            if data[1] & 0x7F == 111:  # RTP with our payload type (not RTCP)
                bands.append(opus_band_hz(data[12 + 4 * (data[0] & 0x0F) :]))
        assert a.stats().opus_complexity == max(0, complexity)
        return bands
    finally:
        engine.stop()
        sock.close()


def test_levels_below_zero_cap_the_band_on_the_wire() -> None:
    """The governor's levels below 0 (here pinned through opus_complexity with the governor
    off): complexity 0 sends the full band, -1 never more than wide band, -3 narrow band."""
    assert max(_bands_sent(0)) == 20000
    assert max(_bands_sent(-1)[10:]) == 8000
    assert max(_bands_sent(-3)[10:]) == 4000
