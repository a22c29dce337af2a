"""Deterministic speech-like test signals, for codec tests, benchmarks and demos.

A codec tuned for speech (Opus SILK, PLC, FEC) behaves differently on a constant tone, so this
makes something closer to a voice: syllables of voiced sound (a glottal-like harmonic series
with vibrato and pitch glides, shaped by three moving formants) separated by short pauses,
with fricative noise bursts and a low noise floor.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def speech_like(
    seconds: float, sample_rate: int, *, seed: int = 0, level_dbfs: float = -16.0
) -> npt.NDArray[np.int16]:
    """Mono int16 speech-like signal of ``seconds`` at ``sample_rate``, the same for a seed."""
    rng = np.random.default_rng(seed)
    n = round(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    # Voiced energy above ~8 kHz is negligible in speech; stop the harmonic series there.
    top = min(0.95 * sample_rate / 2, 8000.0)

    # Syllables of 120..320 ms, each voiced or a pause/fricative, with their own pitch/formants.
    out = np.zeros(n)
    start = 0
    while start < n:
        length = int(rng.uniform(0.12, 0.32) * sample_rate)
        seg = slice(start, min(n, start + length))
        m = seg.stop - seg.start
        ts = t[seg] - t[seg.start]
        kind = rng.random()
        if kind < 0.7:  # voiced
            f0 = rng.uniform(95, 230) * (1 + rng.uniform(-0.15, 0.15) * ts / max(ts[-1], 1e-9))
            f0 = f0 * (1 + 0.03 * np.sin(2 * np.pi * rng.uniform(4.5, 6.5) * ts))  # vibrato
            phase = 2 * np.pi * np.cumsum(f0) / sample_rate
            formants = np.sort(rng.uniform([300, 900, 2100], [850, 2300, 3300]))
            sig = np.zeros(m)
            for k in range(1, int(top / 95)):
                fk = k * f0
                # Harmonic amplitude: -6 dB/octave source times three resonances.
                gain = (1 / k) * sum(
                    1 / (1 + ((fk - fm) / (60 + 0.08 * fm)) ** 2) for fm in formants
                )
                sig += np.where(fk < top, gain, 0.0) * np.sin(k * phase)
            env = np.sin(np.pi * np.arange(m) / m) ** 0.6  # syllable amplitude envelope
            out[seg] = sig * env
        elif kind < 0.85:  # fricative: high-passed noise burst
            noise = rng.standard_normal(m)
            noise = np.diff(noise, prepend=0.0)
            out[seg] = 0.04 * noise * np.hanning(m)
        start = seg.stop

    out += 0.003 * rng.standard_normal(n)  # noise floor
    peak_rms = np.sqrt(np.mean(out**2)) or 1.0
    out *= (10 ** (level_dbfs / 20) * 32767) / peak_rms
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


__all__ = ["speech_like"]
