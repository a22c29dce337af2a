"""speexdsp resampling: measured quality, streaming state, lengths, errors."""

from __future__ import annotations

import numpy as np
import pytest

from siperb.errors import CodecError
from siperb.media.codecs import Resampler, resample
from siperb.media.codecs.resampler import DEFAULT_QUALITY
from siperb.media.codecs.signals import speech_like

RATES = (8000, 16000, 32000, 44100, 48000)


def sine(rate: int, freq: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return np.round(16000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def snr_db(ref: np.ndarray, out: np.ndarray) -> float:
    """SNR of out against ref, ignoring the filter transients at both ends."""
    edge = len(ref) // 20
    r = ref[edge:-edge].astype(np.float64)
    e = out[edge:-edge].astype(np.float64) - r
    return float(10 * np.log10(np.sum(r**2) / max(np.sum(e**2), 1e-3)))


def round_trip(x: np.ndarray, a: int, b: int, quality: int = DEFAULT_QUALITY) -> np.ndarray:
    return resample(resample(x, a, b, quality=quality), b, a, quality=quality)


def test_default_quality_8k_48k_8k_keeps_a_1khz_sine() -> None:
    x = sine(8000, 1000)
    snr = snr_db(x, round_trip(x, 8000, 48000))
    print(f"1 kHz 8k->48k->8k at quality {DEFAULT_QUALITY}: SNR {snr:.1f} dB")
    assert snr > 40


@pytest.mark.parametrize("a", RATES)
@pytest.mark.parametrize("b", RATES)
def test_every_rate_pair_round_trips_a_1khz_sine(a: int, b: int) -> None:
    x = sine(a, 1000)
    assert snr_db(x, round_trip(x, a, b)) > 40


def test_one_way_conversion_matches_the_sine_at_the_new_rate() -> None:
    for a, b in [(8000, 48000), (48000, 8000), (44100, 16000), (16000, 44100), (32000, 44100)]:
        assert snr_db(sine(b, 1000), resample(sine(a, 1000), a, b)) > 40, (a, b)


def test_speech_through_8k_48k_8k_and_quality_ordering() -> None:
    s8 = resample(speech_like(2.0, 48000, seed=1), 48000, 8000)
    snr = {q: snr_db(s8, round_trip(s8, 8000, 48000, q)) for q in (0, 4, 10)}
    print("speech-like 8k->48k->8k SNR by quality:", {q: round(v, 1) for q, v in snr.items()})
    assert snr[4] > 35
    assert snr[0] < snr[4] < snr[10]
    # Near the 4 kHz band edge the better filters keep much more of a 3.4 kHz tone.
    x = sine(8000, 3400)
    assert snr_db(x, round_trip(x, 8000, 48000, 0)) + 20 < snr_db(x, round_trip(x, 8000, 48000, 10))


@pytest.mark.parametrize("a", RATES)
@pytest.mark.parametrize("b", RATES)
def test_one_shot_length_is_exact(a: int, b: int) -> None:
    for n in (0, 1, 159, 4410):
        assert len(resample(np.zeros(n, np.int16), a, b)) == n * b // a


def test_streaming_in_frames_equals_one_call_and_lags_by_output_latency() -> None:
    x = speech_like(1.0, 8000, seed=7)
    whole = Resampler(8000, 48000).process(x)
    r = Resampler(8000, 48000)
    frames = [r.process(x[i : i + 160]) for i in range(0, len(x), 160)]
    np.testing.assert_array_equal(np.concatenate(frames), whole)
    assert abs(len(whole) - 6 * len(x)) <= r.output_latency
    lag = r.output_latency
    one_shot = resample(x, 8000, 48000)
    n = len(whole) - lag
    assert snr_db(one_shot[:n], whole[lag:]) > 40
    r.reset()
    np.testing.assert_array_equal(r.process(x), whole)


def test_stereo_keeps_channels_apart() -> None:
    left, right = sine(16000, 500), sine(16000, 1500)
    x = np.stack([left, right], axis=1)
    y = resample(x, 16000, 48000, channels=2)
    assert y.shape == (48000, 2)
    assert snr_db(sine(48000, 500), y[:, 0]) > 40
    assert snr_db(sine(48000, 1500), y[:, 1]) > 40
    r = Resampler(16000, 48000, channels=2)
    assert r.process(x).shape[1] == 2


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Resampler(0, 8000), "in_rate"),
        (lambda: Resampler(8000, 10**7), "out_rate"),
        (lambda: Resampler(8000, 16000, channels=0), "channels"),
        (lambda: Resampler(8000, 16000, quality=11), "quality"),
        (lambda: Resampler(8000, 16000).process(np.zeros(4, np.float64)), "pcm"),
        (lambda: Resampler(8000, 16000, channels=2).process(np.zeros(3, np.int16)), "pcm"),
        (lambda: resample(np.zeros(4, np.int16), 8000, -1), "out_rate"),
        (lambda: resample(np.zeros(4, np.int16), 8000, 16000, quality=-1), "quality"),
        (lambda: resample(np.zeros(4, np.int16), 8000, 16000, channels=0), "channels"),
    ],
)
def test_bad_parameters_raise_codec_error_naming_the_field(make, field: str) -> None:
    with pytest.raises(CodecError) as info:
        make()
    assert info.value.field == field
