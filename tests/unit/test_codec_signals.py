"""The speech-like test signal behaves like speech where the codec tests rely on it."""

from __future__ import annotations

import numpy as np

from siperb.media.codecs.signals import speech_like


def test_deterministic_per_seed_and_exact_length() -> None:
    a = speech_like(1.5, 16000, seed=3)
    assert a.dtype == np.int16 and a.shape == (24000,)
    np.testing.assert_array_equal(a, speech_like(1.5, 16000, seed=3))
    assert not np.array_equal(a, speech_like(1.5, 16000, seed=4))


def test_has_syllables_pauses_and_a_speech_spectrum() -> None:
    rate = 16000
    x = speech_like(4.0, rate, seed=1).astype(np.float64)
    frame_rms = np.sqrt(np.mean(x[: len(x) // 320 * 320].reshape(-1, 320) ** 2, axis=1))
    loud = frame_rms > 0.5 * frame_rms.max()
    quiet = frame_rms < 0.05 * frame_rms.max()
    assert loud.mean() > 0.1 and quiet.mean() > 0.05  # voiced syllables and pauses
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    below_4k = spectrum[freqs < 4000].sum() / spectrum.sum()
    assert below_4k > 0.9  # most energy where speech has it
    assert spectrum[(freqs > 80) & (freqs < 300)].sum() > spectrum[freqs < 60].sum()  # a pitch
    # Not a constant tone: the strongest spectral peak holds a small share of the energy.
    assert spectrum.max() / spectrum.sum() < 0.01
