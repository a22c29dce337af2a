"""Seeded network models and playout simulations for the jitter-buffer evaluation.

Each model turns a 60 s stream of 20 ms packets (send time k * 20 ms) into arrival times (None
for a lost packet). The simulations feed the arrivals into a buffer and play it out on a 20 ms
clock, recording for every played packet its buffer delay (playout start minus arrival) and for
every frame after the start whether it was concealed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from siperb.media.jitterbuffer import FrameKind, JitterBuffer, SpeexJitterBuffer, Stretch

FRAME_MS = 20
CLOCK_RATE = 8000
FRAME_SAMPLES = CLOCK_RATE * FRAME_MS // 1000

Arrivals = list[float | None]


def steady(seed: int, seconds: float = 60.0) -> Arrivals:
    """Wired LAN/WAN: 30 ms base delay, about 2 ms of Gaussian jitter, no loss."""
    rnd = random.Random(seed)
    n = int(seconds * 1000 / FRAME_MS)
    return [k * FRAME_MS + 30.0 + abs(rnd.gauss(0.0, 2.0)) for k in range(n)]


def wifi(seed: int, seconds: float = 60.0) -> Arrivals:
    """WiFi: 10 ms base, exponential jitter (mean 4 ms), 0.5 % random loss and, on average every
    6 s, a 60-180 ms stall after which the queued packets arrive in a burst (1 ms apart)."""
    rnd = random.Random(seed)
    n = int(seconds * 1000 / FRAME_MS)
    stalls: list[tuple[float, float]] = []
    t = rnd.expovariate(1 / 6000.0)
    while t < seconds * 1000:
        stalls.append((t, rnd.uniform(60.0, 180.0)))
        t += rnd.expovariate(1 / 6000.0)
    out: Arrivals = []
    for k in range(n):
        send = k * FRAME_MS
        if rnd.random() < 0.005:
            out.append(None)
            continue
        arrival = send + 10.0 + rnd.expovariate(1 / 4.0)
        for start, length in stalls:
            if start <= arrival < start + length:
                arrival = start + length + (send - start if send > start else 0) / FRAME_MS
        out.append(arrival)
    return out


def congested(seed: int, seconds: float = 60.0) -> Arrivals:
    """Congested link: 40 ms base, queueing jitter (gamma, mean 15 ms, sd 11 ms), bursty loss
    (Gilbert-Elliott: 1 % chance to enter the bad state, 30 % to leave it, 50 % loss in it, 0.2 %
    in the good state) and 2 % of packets held back 25-50 ms (reordering)."""
    rnd = random.Random(seed)
    n = int(seconds * 1000 / FRAME_MS)
    bad = False
    out: Arrivals = []
    queue = 0.0
    for k in range(n):
        bad = (rnd.random() >= 0.3) if bad else (rnd.random() < 0.01)
        if rnd.random() < (0.5 if bad else 0.002):
            out.append(None)
            continue
        # A slowly varying queue (AR(1)) plus per-packet noise: congestion comes and goes.
        queue = 0.95 * queue + 0.05 * rnd.gammavariate(2.0, 7.5)
        arrival = k * FRAME_MS + 40.0 + queue + rnd.gammavariate(1.8, 4.5)
        if rnd.random() < 0.02:
            arrival += rnd.uniform(25.0, 50.0)
        out.append(arrival)
    return out


MODELS: dict[str, Callable[[int], Arrivals]] = {
    "steady": steady,
    "wifi": wifi,
    "congested": congested,
}


@dataclass
class Result:
    mean_delay_ms: float
    concealed_pct: float
    played: int
    frames: int


def _events(arrivals: Arrivals) -> list[tuple[float, int]]:
    return sorted((a, k) for k, a in enumerate(arrivals) if a is not None)


def _result(delays: list[float], concealed: int, frames: int) -> Result:
    mean = sum(delays) / len(delays) if delays else math.nan
    return Result(mean, 100.0 * concealed / max(1, frames), len(delays), frames)


def run_siperb(arrivals: Arrivals, **options: float) -> Result:
    """Play through siperb's JitterBuffer; the output keeps a PCM FIFO (NetEq's sync buffer) so a
    stretched frame changes when the next get() happens."""
    jb = JitterBuffer(clock_rate=CLOCK_RATE, frame_ms=FRAME_MS, **options)
    events = _events(arrivals)
    end = len(arrivals) * FRAME_MS + 1000
    i = 0
    fifo = 0.0
    started = done = False
    last = max(k for k, a in enumerate(arrivals) if a is not None)
    delays: list[float] = []
    concealed = frames = 0
    t = 3.7  # the sound card's clock phase is unrelated to the sender's
    while t < end:
        while i < len(events) and events[i][0] <= t:
            a, k = events[i]
            jb.put(k & 0xFFFF, (k * FRAME_SAMPLES) & 0xFFFFFFFF, b"\0", a, 1, False)
            i += 1
        while fifo < FRAME_MS:
            f = jb.get(t, fifo)
            dur = float(FRAME_MS)
            step = f.stretch_samples * 1000.0 / CLOCK_RATE
            if f.stretch == Stretch.ACCELERATE:
                dur -= step
            elif f.stretch == Stretch.DECELERATE:
                dur += step
            if f.kind == FrameKind.PACKET:
                started = True
                k = f.timestamp // FRAME_SAMPLES
                delays.append(t + fifo - arrivals[k])  # type: ignore[operator]
                done = k == last
            elif started:
                concealed += 1
            if started:
                frames += 1
            fifo += dur
        fifo -= FRAME_MS
        t += FRAME_MS
        if done:
            break
    return _result(delays, concealed, frames)


def run_speex(arrivals: Arrivals) -> Result:
    """Play through speexdsp's jitter buffer: put on arrival; get then tick every 20 ms."""
    jb = SpeexJitterBuffer(FRAME_SAMPLES)
    events = _events(arrivals)
    end = len(arrivals) * FRAME_MS + 1000
    i = 0
    started = False
    last = max(k for k, a in enumerate(arrivals) if a is not None)
    delays: list[float] = []
    concealed = frames = 0
    t = 3.7
    while t < end:
        while i < len(events) and events[i][0] <= t:
            _, k = events[i]
            jb.put(k & 0xFFFF, k * FRAME_SAMPLES, b"\0")
            i += 1
        f = jb.get()
        if f.kind == FrameKind.PACKET:
            started = True
            k = f.timestamp // FRAME_SAMPLES
            delays.append(t - arrivals[k])  # type: ignore[operator]
        elif started:
            concealed += 1
        if started:
            frames += 1
        if f.kind == FrameKind.PACKET and k == last:
            break
        t += FRAME_MS
    return _result(delays, concealed, frames)


def run_fixed(arrivals: Arrivals, delay_ms: float = 60.0) -> Result:
    """A fixed playout point: first arrival + delay_ms; anything later than its slot is lost."""
    first = next(a for a in arrivals if a is not None)
    delays: list[float] = []
    concealed = 0
    for k, a in enumerate(arrivals):
        slot = first + delay_ms + k * FRAME_MS
        if a is not None and a <= slot:
            delays.append(slot - a)
        else:
            concealed += 1
    return _result(delays, concealed, len(arrivals))
