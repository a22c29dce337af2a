"""G.711 Appendix I PLC: the output over a fixed signal and loss pattern never changes.

The hashes were produced by the float implementation before the int16-history rewrite; any
rewrite for speed must reproduce them exactly (same samples, same rounding).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from siperb.codecs.signals import speech_like
from siperb.jitterbuffer import G711Plc

# Lost runs of 10 ms frames and the good 10 ms frames before each: single losses, bursts of 2,
# 3, 6 and 8 (past the 60 ms mute), and gaps of one good frame so an erasure starts while the
# previous one's cross-fade is still in the history.
BURSTS = [1, 2, 3, 6, 8, 1, 2, 3, 1, 6, 2, 8, 3]
GAPS = [9, 5, 1, 4, 7, 1, 1, 3, 2, 1, 6, 2, 1]


def signal(rate: int) -> np.ndarray:
    """Speech-like audio, then a seeded mix of sines (two pitches), then silence."""
    speech = speech_like(2.0, rate, seed=11).astype(np.int32)
    rng = np.random.default_rng(5)
    t = np.arange(rate) / rate
    tones = np.zeros(rate)
    for f in (140.0, 280.0, 455.0):
        amp = rng.uniform(1500, 6000)
        tones += amp * np.sin(2 * np.pi * f * t + rng.uniform(0, 6))
    sig = np.concatenate([speech, np.round(tones), np.zeros(rate // 4)])
    return sig.clip(-32768, 32767).astype(np.int16)


def run_schedule(rate: int) -> np.ndarray:
    """Feeds the signal through the PLC: good runs as 20 ms (and odd-length) frames, losses as
    concealment (one call per burst or one per 10 ms), the signal moving on under a loss."""
    plc = G711Plc(rate)
    frame = plc.frame_samples
    sig = signal(rate)
    out: list[np.ndarray] = []
    pos = 0
    k = 0
    while pos < len(sig):
        gap, burst = GAPS[k % len(GAPS)], BURSTS[k % len(BURSTS)]
        good = sig[pos : pos + gap * frame]
        pos += gap * frame
        step = 2 * frame if k % 3 else frame // 2 + 3  # 20 ms, or odd lengths
        out.extend(plc.good_frame(good[i : i + step]) for i in range(0, len(good), step))
        if k % 2:
            out.append(plc.conceal(burst * frame))
        else:
            out.extend(plc.conceal(frame) for _ in range(burst))
        pos += burst * frame
        k += 1
    return np.concatenate(out)


GOLDEN = {
    8000: "b3cf2f466657bc05e54484f7dedb5467868351fcef138c91035c3842a9cfdd84",
    16000: "86e15d525b39495c96ca7e0c32da78b6d4a2b6f1d06bc1f2b5ab2d605736426a",
}


@pytest.mark.parametrize("rate", sorted(GOLDEN))
def test_output_matches_the_reference_implementation(rate: int) -> None:
    out = run_schedule(rate)
    assert out.dtype == np.int16
    # every call returns as many samples as it was given or asked for: the stream keeps its length
    assert len(signal(rate)) <= len(out) < len(signal(rate)) + max(BURSTS) * rate // 100
    assert hashlib.sha256(out.tobytes()).hexdigest() == GOLDEN[rate]
