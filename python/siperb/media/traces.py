"""Seeded synthetic network traces for :func:`siperb.media.jitterbuffer.replay`.

Each generator takes the number of packet times and a seed and returns, for every packet the
sender produced (packet ``k`` leaves at ``k * ptime`` ms on the sender's clock), its arrival time
in ms, or ``None`` when the network lost it. :func:`packets` pairs those arrivals with payloads
into the ``(sequence_number, timestamp, arrival_ms, payload)`` tuples ``replay`` takes. The
same seed gives the same trace, so a buffer change can be judged on identical networks.

The models follow the situations a real-time audio receiver is known to meet (and that WebRTC
NetEq is documented to handle): a quiet LAN, Wi-Fi whose power save and retransmissions stall
packets for a few hundred ms and then deliver them together, a congested path with bursty
(Gilbert-Elliott) loss, mobile handovers (an outage, then a different path delay), a sender
clock that runs fast or slow, and discontinuous transmission (DTX) between talk spurts.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

__all__ = [
    "TRACES",
    "Arrivals",
    "bursty_congestion",
    "clock_drift",
    "dtx_talkspurts",
    "handover_outages",
    "packets",
    "spiky_wifi",
    "steady_lan",
]

Arrivals = list[float | None]
PTIME_MS = 20


def steady_lan(frames: int, seed: int, ptime_ms: int = PTIME_MS) -> Arrivals:
    """A wired LAN: 2 ms base delay, about 0.5 ms of jitter, no loss."""
    rnd = random.Random(seed)
    return [k * ptime_ms + 2.0 + abs(rnd.gauss(0.0, 0.5)) for k in range(frames)]


def spiky_wifi(frames: int, seed: int, ptime_ms: int = PTIME_MS) -> Arrivals:
    """Wi-Fi: 8 ms base, exponential jitter (mean 3 ms), 0.5 % random loss and, every 5 s on
    average, a stall of 100-250 ms after which the queued packets drain together (1 ms apart)."""
    rnd = random.Random(seed)
    stalls: list[tuple[float, float]] = []
    t = rnd.expovariate(1 / 5000.0)
    while t < frames * ptime_ms:
        stalls.append((t, rnd.uniform(100.0, 250.0)))
        t += rnd.expovariate(1 / 5000.0)
    out: Arrivals = []
    for k in range(frames):
        send = float(k * ptime_ms)
        if rnd.random() < 0.005:
            out.append(None)
            continue
        arrival = send + 8.0 + rnd.expovariate(1 / 3.0)
        for start, length in stalls:
            if start <= arrival < start + length:
                arrival = start + length + max(0.0, send - start) / ptime_ms
        out.append(arrival)
    return out


def bursty_congestion(frames: int, seed: int, ptime_ms: int = PTIME_MS) -> Arrivals:
    """A congested path: 40 ms base, a slowly varying queue plus per-packet gamma jitter (about
    20 ms in all), Gilbert-Elliott loss (1 % chance to enter the bad state, 30 % to leave it,
    50 % loss in it, 0.2 % outside) and 2 % of packets held back 25-50 ms (reordering)."""
    rnd = random.Random(seed)
    bad = False
    queue = 0.0
    out: Arrivals = []
    for k in range(frames):
        bad = (rnd.random() >= 0.3) if bad else (rnd.random() < 0.01)
        if rnd.random() < (0.5 if bad else 0.002):
            out.append(None)
            continue
        queue = 0.95 * queue + 0.05 * rnd.gammavariate(2.0, 7.5)
        arrival = k * ptime_ms + 40.0 + queue + rnd.gammavariate(1.8, 4.5)
        if rnd.random() < 0.02:
            arrival += rnd.uniform(25.0, 50.0)
        out.append(arrival)
    return out


def handover_outages(frames: int, seed: int, ptime_ms: int = PTIME_MS) -> Arrivals:
    """Mobile handovers: every 8-15 s the radio is gone for 200-600 ms (the packets sent then
    are lost) and the new path has another base delay (30-90 ms); 5 ms of jitter otherwise."""
    rnd = random.Random(seed)
    base = 50.0
    next_handover = rnd.uniform(8000.0, 15000.0)
    outage_end = -1.0
    out: Arrivals = []
    for k in range(frames):
        send = float(k * ptime_ms)
        if send >= next_handover:
            outage_end = send + rnd.uniform(200.0, 600.0)
            base = rnd.uniform(30.0, 90.0)
            next_handover = send + rnd.uniform(8000.0, 15000.0)
        if send < outage_end:
            out.append(None)
            continue
        out.append(send + base + rnd.gammavariate(2.0, 2.5))
    return out


def clock_drift(drift: float) -> Callable[[int, int], Arrivals]:
    """A sender whose clock runs (1 + drift) times fast (drift = 0.005: +0.5 %, its packets come
    that much more often than the receiver plays them); 20 ms base, 3 ms jitter, 0.5 % loss."""

    def trace(frames: int, seed: int, ptime_ms: int = PTIME_MS) -> Arrivals:
        rnd = random.Random(seed)
        out: Arrivals = []
        for k in range(frames):
            if rnd.random() < 0.005:
                out.append(None)
                continue
            out.append(k * ptime_ms / (1.0 + drift) + 20.0 + rnd.gammavariate(2.0, 1.5))
        return out

    trace.__name__ = f"clock_drift_{drift:+.3f}"
    return trace


def dtx_talkspurts(
    frames: int, seed: int, ptime_ms: int = PTIME_MS, active: Sequence[bool] | None = None
) -> Arrivals:
    """Discontinuous transmission: only the frames of talk spurts are sent (``active``, e.g. a
    voice activity decision on the source; else spurts of 0.5-3 s with pauses of 0.3-2 s); the
    path has 30 ms base, 6 ms of gamma jitter and 1 % loss."""
    rnd = random.Random(seed)
    if active is None:
        flags: list[bool] = []
        while len(flags) < frames:
            flags += [True] * int(rnd.uniform(500.0, 3000.0) / ptime_ms)
            flags += [False] * int(rnd.uniform(300.0, 2000.0) / ptime_ms)
        active = flags[:frames]
    if len(active) < frames:
        raise ValueError("dtx_talkspurts: active has fewer flags than frames")
    out: Arrivals = []
    for k in range(frames):
        lost = rnd.random() < 0.01
        arrival = k * ptime_ms + 30.0 + rnd.gammavariate(2.0, 3.0)
        out.append(arrival if active[k] and not lost else None)
    return out


TRACES: dict[str, Callable[[int, int], Arrivals]] = {
    "steady LAN": steady_lan,
    "spiky Wi-Fi": spiky_wifi,
    "bursty congestion": bursty_congestion,
    "handover outages": handover_outages,
    "clock +0.5 %": clock_drift(0.005),
    "clock -0.5 %": clock_drift(-0.005),
    "DTX talkspurts": dtx_talkspurts,
}


def packets(
    arrivals: Arrivals,
    payloads: Sequence[bytes],
    samples_per_packet: int,
    first_seq: int = 0,
    sent: Sequence[bool] | None = None,
) -> list[tuple[int, int, float, bytes]]:
    """The trace as ``replay`` takes it: packet ``k`` carries ``payloads[k]`` and timestamp
    ``k * samples_per_packet``; sequence numbers count from ``first_seq`` over the packets the
    sender sent (``sent``, the DTX decision; default all), so a lost packet leaves a gap in them
    and a DTX pause does not. Both wrap as in RTP."""
    if len(payloads) < len(arrivals):
        raise ValueError("packets: fewer payloads than packets")
    if sent is not None and len(sent) < len(arrivals):
        raise ValueError("packets: fewer sent flags than packets")
    out: list[tuple[int, int, float, bytes]] = []
    seq = first_seq
    for k, a in enumerate(arrivals):
        if sent is not None and not sent[k]:
            continue
        if a is not None:
            out.append((seq & 0xFFFF, (k * samples_per_packet) & 0xFFFFFFFF, a, payloads[k]))
        seq += 1
    return out
