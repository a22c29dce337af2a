"""Trace replay (siperb.media.jitterbuffer.replay) and the trace generators, on tiny traces whose
outcome is known exactly."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from siperb._core import g711_ulaw_decode, g711_ulaw_encode
from siperb.errors import CodecError, MediaError
from siperb.media import traces
from siperb.media.jitterbuffer import replay

FRAME = 160  # 20 ms at 8 kHz


def tone_payloads(n: int) -> list[bytes]:
    t = np.arange(n * FRAME)
    pcm = (8000 * np.sin(2 * math.pi * 440 * t / 8000)).astype(np.int16)
    return [g711_ulaw_encode(pcm[k * FRAME : (k + 1) * FRAME]) for k in range(n)]


def on_time(n: int, transit: float = 0.0) -> list[float | None]:
    return [k * 20.0 + transit for k in range(n)]


def test_speexdsp_plays_a_perfect_trace_as_it_arrives() -> None:
    payloads = tone_payloads(10)
    r = replay(traces.packets(on_time(10), payloads, FRAME), buffer="speexdsp", tail_ms=100)
    # Ticks at 0, 20, ... 280 ms: each packet is played by the tick it arrives at.
    assert (r.played, r.concealed, r.frames) == (10, 0, 15)
    assert r.mean_delay_ms == 0.0
    assert r.max_delay_ms == 0.0
    assert r.sample_rate == 8000
    assert len(r.pcm) == 15 * FRAME
    # The decoded packets come out in order, behind the PLC's 3.75 ms (30 samples) delay.
    decoded = np.concatenate([g711_ulaw_decode(p) for p in payloads])
    assert np.array_equal(r.pcm[30 : 10 * FRAME], decoded[: 10 * FRAME - 30])


def test_siperb_starts_once_the_target_is_measured_and_plays_everything() -> None:
    payloads = tone_payloads(10)
    r = replay(traces.packets(on_time(10), payloads, FRAME), start_delay_ms=40, tail_ms=100)
    assert (r.played, r.concealed) == (10, 0)
    # At t = 0 only packet 0 is in: the 40 ms start delay applies, silence. From the second
    # packet on the target is measured (no jitter: the 4 ms margin), so packet 0 starts at the
    # next tick, 20 ms after it arrived; every packet then waits 20 ms (less than a frame above
    # the target: no acceleration).
    assert (r.max_delay_ms, r.mean_delay_ms) == (20.0, 20.0)
    assert (r.accelerated, r.decelerated) == (0, 0)
    assert r.received == 10


@pytest.mark.parametrize("buffer", ["siperb", "speexdsp"])
def test_a_lost_packet_is_concealed_once(buffer: str) -> None:
    arrivals = on_time(12, transit=5.0)
    arrivals[6] = None
    r = replay(traces.packets(arrivals, tone_payloads(12), FRAME), buffer=buffer, tail_ms=200)
    assert (r.played, r.concealed) == (11, 1)
    assert r.concealed_percent == pytest.approx(100.0 / 12)


@pytest.mark.parametrize("buffer", ["siperb", "speexdsp"])
def test_a_dtx_gap_is_silence_not_concealment(buffer: str) -> None:
    active = [True] * 5 + [False] * 5 + [True] * 5
    trace = traces.packets(on_time(15, transit=5.0), tone_payloads(15), FRAME, sent=active)
    assert [p[0] for p in trace] == list(range(10))  # no sequence number gap at a DTX pause
    r = replay(trace, buffer=buffer, tail_ms=200)
    assert (r.played, r.concealed) == (10, 0)
    assert r.silence >= 5


@pytest.mark.parametrize("buffer", ["siperb", "speexdsp"])
def test_silence_in_place_of_sent_frames_counts_as_concealment(buffer: str) -> None:
    # 600 ms of packets lost: siperb gives up on PLC after 200 ms (silence), speexdsp keeps
    # concealing; both lost the same 30 frames and both count 30.
    arrivals = on_time(60, transit=5.0)
    arrivals[20:50] = [None] * 30
    r = replay(traces.packets(arrivals, tone_payloads(60), FRAME), buffer=buffer, tail_ms=200)
    assert (r.played, r.concealed) == (30, 30)


def test_a_loss_beside_a_dtx_pause_marks_one_frame_each_side_not_the_pause() -> None:
    # Spurt, pause, spurt; the spurt's last packet is lost: one sequence number is missing, so
    # one of the five media times after packet 3 or before packet 10 was sent (which one is not
    # known), not all six. speexdsp conceals every frame of the pause.
    active = [True] * 5 + [False] * 5 + [True] * 5
    arrivals = on_time(15, transit=5.0)
    arrivals[4] = None
    trace = traces.packets(arrivals, tone_payloads(15), FRAME, sent=active)
    r = replay(trace, buffer="speexdsp", tail_ms=200)
    assert (r.played, r.concealed) == (9, 2)


def test_the_same_trace_gives_the_same_pcm() -> None:
    trace = traces.packets(traces.spiky_wifi(500, 7), tone_payloads(500), FRAME)
    a, b = replay(trace), replay(list(reversed(trace)))  # order of the list does not matter
    assert np.array_equal(a.pcm, b.pcm)
    assert (a.played, a.concealed, a.mean_delay_ms) == (b.played, b.concealed, b.mean_delay_ms)


def test_bad_traces_and_options_are_clear_errors() -> None:
    good = traces.packets(on_time(3), tone_payloads(3), FRAME)
    with pytest.raises(MediaError, match="replay packets"):
        replay([])
    with pytest.raises(MediaError, match="replay arrival ms"):
        replay([(0, 0, float("nan"), b"\xff" * FRAME)])
    with pytest.raises(MediaError, match="replay buffer"):
        replay(good, buffer="netEQ")
    with pytest.raises(MediaError, match="replay ptime"):
        replay(good, ptime=25)
    with pytest.raises(MediaError, match="replay output skew"):
        replay(good, output_skew=0.5)
    with pytest.raises((MediaError, CodecError), match="codec"):
        replay(good, codec="G729")


# --- trace generators ---


@pytest.mark.parametrize("name", list(traces.TRACES))
def test_traces_are_seeded_and_causal(name: str) -> None:
    model = traces.TRACES[name]
    a, b, c = model(1000, 1), model(1000, 1), model(1000, 2)
    assert a == b
    assert a != c
    assert len(a) == 1000
    sent = [k * 20.0 / 1.006 for k in range(1000)]  # the fastest sender clock of the set
    assert all(t is None or t >= s for t, s in zip(a, sent, strict=True))


def test_steady_lan_has_no_loss_and_little_jitter() -> None:
    a = traces.steady_lan(1000, 3)
    transit = [t - 20.0 * k for k, t in enumerate(a) if t is not None]
    assert len(transit) == 1000
    assert min(transit) >= 2.0 and max(transit) < 5.0


def test_spiky_wifi_drains_a_stall_in_a_burst() -> None:
    a = [t for t in traces.spiky_wifi(3000, 4) if t is not None]
    gaps = np.diff(np.array(a))
    assert gaps.max() >= 100.0  # a stall
    assert (gaps <= 1.0 + 1e-9).sum() >= 4  # the queued packets 1 ms apart


def test_bursty_congestion_loses_in_bursts() -> None:
    a = traces.bursty_congestion(5000, 5)
    runs = [len(list(g)) for lost, g in itertools.groupby(a, key=lambda t: t is None) if lost]
    assert max(runs) >= 2
    assert 0.005 < sum(x is None for x in a) / len(a) < 0.05


def test_handover_outages_lose_a_run_then_change_the_delay() -> None:
    a = traces.handover_outages(3000, 6)
    k = next(i for i, t in enumerate(a) if t is None)
    run = next(i for i in range(k, len(a)) if a[i] is not None) - k
    assert 10 <= run <= 30  # 200-600 ms
    assert k * 20 >= 8000


@pytest.mark.parametrize("drift", [0.005, -0.005])
def test_clock_drift_changes_the_packet_rate(drift: float) -> None:
    a = traces.clock_drift(drift)(3000, 8)
    pts = [(k, t) for k, t in enumerate(a) if t is not None]
    (k0, t0), (k1, t1) = pts[0], pts[-1]
    period = (t1 - t0) / (k1 - k0)
    assert period == pytest.approx(20.0 / (1 + drift), rel=2e-4)


def test_dtx_sends_only_active_frames() -> None:
    active = [k % 50 < 30 for k in range(1000)]
    a = traces.dtx_talkspurts(1000, 9, active=active)
    assert all(t is None for t, on in zip(a, active, strict=True) if not on)
    assert sum(t is not None for t in a) > 0.95 * sum(active)
    with pytest.raises(ValueError, match="active"):
        traces.dtx_talkspurts(10, 1, active=[True])


def test_packets_wrap_sequence_and_timestamp() -> None:
    out = traces.packets([0.0, None, 40.0], [b"a", b"b", b"c"], 160, first_seq=65535)
    assert out == [(65535, 0, 0.0, b"a"), (1, 320, 40.0, b"c")]
    dtx = traces.packets([0.0, None, 40.0], [b"a", b"b", b"c"], 160, sent=[True, False, True])
    assert dtx == [(0, 0, 0.0, b"a"), (1, 320, 40.0, b"c")]
