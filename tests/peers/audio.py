"""Test tones in, frequency check out: how a call test proves audio really flowed."""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

TONE_RATE = 48000  # baresip resamples the aufile source to the codec (ausrc_srate below)


def write_tone_wav(
    path: Path,
    freqs: Sequence[float] = (1000.0,),
    seconds: float = 5.0,
    rate: int = TONE_RATE,
    amplitude: float = 0.3,
) -> Path:
    """A mono S16LE WAV of the sum of `freqs` (what baresip's aufile accepts)."""
    n = int(seconds * rate)
    peak = amplitude * 32767 / max(1, len(freqs))
    frames = bytearray()
    for i in range(n):
        v = sum(math.sin(2 * math.pi * f * i / rate) for f in freqs)
        frames += struct.pack("<h", int(peak * v))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


def read_wav_mono(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    """Samples of channel 0 as a float numpy array in [-1, 1], and the sample rate."""
    import numpy as np

    with wave.open(str(path), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit samples, got {width * 8}-bit")
    data = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)[:, 0]
    return data.astype(np.float64) / 32768.0, rate


def dominant_frequency(path: Path, skip_seconds: float = 0.3) -> tuple[float, float]:
    """(frequency in Hz of the strongest FFT bin, RMS level) of a recorded WAV.

    The first `skip_seconds` are ignored: jitter-buffer fill and codec start-up are silence.
    """
    import numpy as np

    samples, rate = read_wav_mono(path)
    x = samples[int(skip_seconds * rate) :]
    if x.size < rate // 10:
        raise ValueError(f"{path}: only {x.size} samples after skipping {skip_seconds} s")
    rms = float(np.sqrt(np.mean(x * x)))
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    spectrum[0] = 0.0
    freq = float(np.argmax(spectrum)) * rate / x.size
    return freq, rms
