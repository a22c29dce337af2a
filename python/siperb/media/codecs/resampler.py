"""Sample-rate conversion (8, 16, 32, 44.1, 48 kHz and others) with speexdsp's resampler.

``Resampler(in_rate, out_rate, channels=1, quality=4)`` keeps the filter state between
``process(pcm)`` calls, for streams cut into frames; its output lags by ``output_latency``
samples. ``resample(pcm, in_rate, out_rate)`` converts a whole signal at once, delay
compensated, to exactly ``len(pcm) * out_rate // in_rate`` samples per channel.

Quality is speexdsp's 0..10 (3 = its VoIP setting, 4 = its default, 10 = best, slowest).
"""

from __future__ import annotations

from ... import _core

Resampler = _core.Resampler
resample = _core.resample

#: speexdsp's default quality, used when none is given.
DEFAULT_QUALITY: int = _core.RESAMPLER_DEFAULT_QUALITY

__all__ = ["DEFAULT_QUALITY", "Resampler", "resample"]
