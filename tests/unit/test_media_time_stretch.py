"""Time stretching of decoded frames (the jitter buffer's accelerate/decelerate hints)."""

from __future__ import annotations

import numpy as np
import pytest

from siperb import _core


def voiced(freq: float, rate: int, n: int) -> np.ndarray:
    """A periodic, voice-like signal: a fundamental and two harmonics."""
    t = np.arange(n) / rate
    sig = 6000 * np.sin(2 * np.pi * freq * t)
    sig += 2500 * np.sin(2 * np.pi * 2 * freq * t + 0.7) + 1200 * np.sin(
        2 * np.pi * 3 * freq * t + 2.0
    )
    return np.round(sig).astype(np.int16)


def stretch_stream(
    sig: np.ndarray, frame: int, accelerate: bool, amount: int, rate: int
) -> tuple[np.ndarray, list[int]]:
    """Stretches every frame of sig; returns the joined output and each frame's lag."""
    outs, lags = [], []
    for i in range(0, len(sig) - frame + 1, frame):
        out = _core._time_stretch(sig[i : i + frame], accelerate, amount, rate)
        outs.append(out)
        lags.append(abs(len(out) - frame))
    return np.concatenate(outs), lags


def peak_hz(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.argmax(spec) * rate / len(x))


def max_step(x: np.ndarray) -> int:
    return int(np.max(np.abs(np.diff(x.astype(np.int32)))))


def whole_periods(rate: int, freq: float, amount: int) -> list[float]:
    """The lags allowed for amount that are whole pitch periods."""
    period = rate / freq
    return [k * period for k in range(1, 10) if amount // 2 <= k * period <= amount]


# Rates, tones and amounts (a quarter or a half of a 20 ms frame, what the jitter buffer asks).
CASES = [
    (rate, freq, part)
    for rate in (8000, 16000, 48000)
    for freq in (200.0, 180.0, 230.0)
    for part in (4, 2)
]


@pytest.mark.parametrize(("rate", "freq", "part"), CASES)
@pytest.mark.parametrize("accelerate", [True, False])
def test_stretch_removes_or_adds_whole_periods_and_keeps_the_pitch(
    rate: int, freq: float, part: int, accelerate: bool
) -> None:
    frame = rate // 50  # 20 ms
    amount = frame // part
    sig = voiced(freq, rate, rate)  # one second
    out, lags = stretch_stream(sig, frame, accelerate, amount, rate)

    # the length contract: n - lag or n + lag, lag in [amount / 2, amount]
    assert all(amount // 2 <= lag <= amount for lag in lags)
    assert len(out) == len(sig) + (-1 if accelerate else 1) * sum(lags)
    # no click where frames were cut or doubled (a period of 44.4 samples is cut at 44: a little
    # phase error is inevitable)
    assert max_step(out) <= 1.05 * max_step(sig)
    whole = whole_periods(rate, freq, amount)
    if not whole:
        # 180 Hz is 44.4 samples at 8 kHz (more at higher rates), longer than a quarter frame:
        # no lag keeps the pitch, the longest is taken
        assert all(lag >= amount - 1 for lag in lags)
        return
    # each lag is a whole number of pitch periods (to the sample)
    assert all(min(abs(lag - p) for p in whole) <= 1.0 for lag in lags)
    # same pitch, no dip from cross-fading out of phase
    assert abs(peak_hz(out, rate) - freq) <= 2 * rate / len(out) + 1.0
    for i in range(0, len(out) - frame, frame):
        assert np.std(out[i : i + frame].astype(np.float64)) > 0.9 * np.std(sig.astype(np.float64))


@pytest.mark.parametrize("accelerate", [True, False])
def test_frames_too_short_for_the_amount_are_copied(accelerate: bool) -> None:
    sig = voiced(200.0, 8000, 159)
    assert np.array_equal(_core._time_stretch(sig, accelerate, 80, 8000), sig)
    assert np.array_equal(_core._time_stretch(sig, accelerate, 0, 8000), sig)


@pytest.mark.parametrize("accelerate", [True, False])
@pytest.mark.parametrize("rate", [8000, 48000])
def test_silence_and_noise_keep_the_length_contract(accelerate: bool, rate: int) -> None:
    frame = rate // 50
    rng = np.random.default_rng(1)
    noise = rng.integers(-32768, 32767, frame, dtype=np.int16, endpoint=True)
    for sig in (np.zeros(frame, np.int16), noise):
        out = _core._time_stretch(sig, accelerate, frame // 2, rate)
        lag = abs(len(out) - frame)
        assert frame // 4 <= lag <= frame // 2
        assert (len(out) < frame) == accelerate
        # the stretched frame joins its neighbours: it starts and ends on the frame's samples
        assert out[0] == sig[0] and out[-1] == sig[-1]
        assert np.max(np.abs(out.astype(np.int32))) <= np.max(np.abs(sig.astype(np.int32)))
