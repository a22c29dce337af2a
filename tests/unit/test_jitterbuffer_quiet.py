"""Moving the playout point in pauses: a near-silent frame is cut or repeated by up to a whole
frame (Frame.quiet_samples) instead of being stretched a quarter frame at a time, so no pending
audio is left to delay what follows; speech is still only time-stretched."""

from __future__ import annotations

import math

import numpy as np

from siperb._core import g711_ulaw_encode
from siperb.media import traces
from siperb.media.jitterbuffer import FrameKind, JitterBuffer, Stretch, replay

FRAME = 160  # 20 ms at 8 kHz


def faster_path(n: int = 600) -> list[float | None]:
    """n packets; from packet 200 on the path gets 1 ms faster per packet, 200 ms in all (a
    queue draining: no packet overtakes another)."""
    return [k * 20.0 + 230.0 - min(200.0, max(0, k - 200) * 1.0) for k in range(n)]


def payloads(n: int, amplitude: float) -> list[bytes]:
    t = np.arange(n * FRAME)
    pcm = (amplitude * np.sin(2 * math.pi * 300 * t / 8000)).astype(np.int16)
    return [g711_ulaw_encode(pcm[k * FRAME : (k + 1) * FRAME]) for k in range(n)]


def test_a_pause_moves_the_playout_point_a_whole_frame_at_a_time() -> None:
    # 200 ms too much delay once the queue has drained: in silence it goes in about ten
    # whole-frame cuts (quarter-frame stretches took 87, and left pending audio each time).
    trace = traces.packets(faster_path(), payloads(600, 0.0), FRAME)
    r = replay(trace, clock_phase_ms=3.7)
    assert r.played == 600 and r.concealed == 0
    assert 10 <= r.accelerated <= 11
    assert r.decelerated == 0


def test_speech_is_stretched_not_cut() -> None:
    trace = traces.packets(faster_path(), payloads(600, 6000.0), FRAME)
    r = replay(trace, clock_phase_ms=3.7)
    assert r.played == 600 and r.concealed == 0
    assert r.accelerated > 11  # half a frame at a time: more, smaller steps


def test_quiet_samples_name_the_excess_over_the_target_and_the_missing_rest_of_a_frame() -> None:
    jb = JitterBuffer(8000, 20)
    t, pending = 0.0, 0.0
    seen = {Stretch.ACCELERATE: 0, Stretch.DECELERATE: 0}
    # 300 packets 230 ms late, 300 at 30 ms (200 ms too much delay: accelerations), then 300
    # whose delay alternates 30 / 90 ms (the target rises: decelerations).
    arrivals = [
        k * 20.0 + (230.0 if k < 300 else 30.0 if k < 600 or k % 2 else 90.0) for k in range(900)
    ]
    order = sorted(range(900), key=lambda k: arrivals[k])
    i = 0
    while t < 900 * 20 + 400:
        while i < len(order) and arrivals[order[i]] <= t:
            jb.put(order[i], order[i] * FRAME, b"\xff" * FRAME, arrivals[order[i]])
            i += 1
        while pending < 20:
            target = jb.stats().target_delay_ms
            f = jb.get(t, pending)
            offset = jb.stats().current_delay_ms
            if f.kind == FrameKind.PACKET and f.stretch == Stretch.ACCELERATE:
                # Everything above the lowest playout point still meeting the target, at most
                # a frame: the pending audio and the whole frames above it.
                excess = pending * 8 + math.floor(max(0.0, offset - target) / 20) * FRAME
                assert f.quiet_samples == min(FRAME, int(excess))
                seen[f.stretch] += 1
            elif f.kind == FrameKind.PACKET and f.stretch == Stretch.DECELERATE:
                assert f.quiet_samples == FRAME - int(pending * 8)  # up to the next point
                seen[f.stretch] += 1
            else:
                assert f.quiet_samples == 0
            # As the replay plays a near-silent frame: cut or repeated by quiet_samples.
            sign = {Stretch.ACCELERATE: -1, Stretch.DECELERATE: 1}.get(f.stretch, 0)
            pending += (f.samples + sign * f.quiet_samples) / 8
        pending -= 20
        t += 20
    assert seen[Stretch.ACCELERATE] >= 10 and seen[Stretch.DECELERATE] >= 1
