"""G.711 Appendix I packet loss concealment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from siperb.errors import CodecError
from siperb.media.jitterbuffer import G711Plc


def tone(n: int, start: int = 0, freq: float = 180.0, amp: float = 8000.0) -> np.ndarray:
    t = np.arange(start, start + n) / 8000.0
    sig = amp * np.sin(2 * np.pi * freq * t) + 0.3 * amp * np.sin(2 * np.pi * 2 * freq * t + 0.5)
    return sig.astype(np.int16)


def max_step(x: np.ndarray) -> int:
    return int(np.max(np.abs(np.diff(x.astype(np.int32)))))


def test_good_frames_pass_through_with_fixed_delay() -> None:
    plc = G711Plc()
    assert plc.delay_samples == 30 and plc.frame_samples == 80
    sig = tone(800)
    out = np.concatenate([plc.good_frame(sig[i : i + 160]) for i in range(0, 800, 160)])
    assert np.array_equal(out[30:], sig[:-30])
    assert np.all(out[:30] == 0)


def test_concealment_is_continuous_and_periodic_at_the_pitch() -> None:
    plc = G711Plc()
    sig = tone(1600)
    out = [plc.good_frame(sig[i : i + 160]) for i in range(0, 1600, 160)]
    conc = plc.conceal(160)
    stream = np.concatenate([*out, conc])
    boundary = stream[1600 - 40 : 1600 + 40]
    # no click: the largest step at the boundary is like the signal's own largest step
    assert max_step(boundary) <= 1.2 * max_step(sig)
    # the pitch found is the tone's period (8000 / 180 = 44.4 samples) or a multiple
    assert min(abs(plc.pitch - 44.4 * k) for k in (1, 2)) <= 2
    # the first 10 ms of substitution are at full level (no attenuation yet)
    assert np.max(np.abs(conc[:80])) > 0.8 * np.max(np.abs(sig))


def test_long_loss_attenuates_then_silence() -> None:
    plc = G711Plc()
    sig = tone(1600)
    for i in range(0, 1600, 160):
        plc.good_frame(sig[i : i + 160])
    conc = plc.conceal(800).astype(np.float64)
    energy = [float(np.sqrt(np.mean(conc[i : i + 80] ** 2))) for i in range(0, 800, 80)]
    # 20 % per 10 ms from the second 10 ms: strictly decreasing, zero after 60 ms
    assert all(a > b for a, b in itertools.pairwise(energy[1:6]))
    assert energy[5] < 0.35 * energy[0]
    # (the output runs 30 samples behind the synthesis)
    assert not np.any(conc[6 * 80 + 30 :])
    assert plc.erased_frames == 10


def test_recovery_cross_fades_into_the_real_signal() -> None:
    plc = G711Plc()
    sig = tone(2400)
    outs = [plc.good_frame(sig[i : i + 160]) for i in range(0, 1600, 160)]
    outs.append(plc.conceal(160))
    outs += [plc.good_frame(sig[i : i + 160]) for i in range(1760, 2400, 160)]
    stream = np.concatenate(outs)
    assert max_step(stream[1700:1900]) <= 1.3 * max_step(sig)
    assert plc.erased_frames == 0
    # well after the erasure the output is the input again, delayed
    assert np.array_equal(stream[-300:], sig[-330:-30])


def test_wideband_rate_and_errors() -> None:
    plc = G711Plc(16000)
    assert plc.frame_samples == 160 and plc.delay_samples == 60
    plc.good_frame(tone(640))
    assert len(plc.conceal(320)) == 320
    with pytest.raises(CodecError):
        plc.conceal(100)
    with pytest.raises(CodecError):
        G711Plc(11025)


def test_conceal_before_any_audio_is_silence() -> None:
    assert not np.any(G711Plc().conceal(160))
