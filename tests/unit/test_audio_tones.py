"""Tone generator: frequencies and cadences measured by FFT, DTMF pairs, phase continuity."""

from __future__ import annotations

import numpy as np
import pytest

from siperb import audio
from siperb.errors import MediaError

RATE = 16000


def peaks(x: np.ndarray, rate: int, count: int) -> list[float]:
    """The `count` strongest frequencies (Hz, at least 25 Hz apart)."""
    spec = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    found: list[float] = []
    for i in np.argsort(spec)[::-1]:
        if all(abs(freqs[i] - f) > 25 for f in found):
            found.append(float(freqs[i]))
        if len(found) == count:
            break
    return sorted(found)


def on_off(x: np.ndarray, block: int) -> list[bool]:
    rms = np.sqrt((x.reshape(-1, block).astype(np.float64) ** 2).mean(axis=1))
    return [bool(v > 100) for v in rms]


@pytest.mark.parametrize(
    ("name", "region", "freqs", "on_ms", "off_ms"),
    [
        ("dial", "us", [350, 440], None, None),
        ("ringback", "us", [440, 480], 2000, 4000),
        ("busy", "us", [480, 620], 500, 500),
        ("congestion", "us", [480, 620], 250, 250),
        ("dial", "eu", [425], None, None),
        ("ringback", "eu", [425], 1000, 4000),
        ("busy", "eu", [425], 500, 500),
        ("congestion", "eu", [425], 250, 250),
    ],
)
def test_call_progress_presets(
    name: str, region: str, freqs: list[int], on_ms: int | None, off_ms: int | None
) -> None:
    src = audio.ToneSource.preset(name, RATE, region=region)
    period_ms = (on_ms + off_ms) if on_ms else 1000
    x = src.read(RATE * 2 * period_ms // 1000)  # two periods
    on = x[: RATE * (on_ms or 1000) // 1000]
    assert peaks(on, RATE, len(freqs)) == pytest.approx(freqs, abs=2)
    blocks = on_off(x, RATE // 100)  # 10 ms blocks
    if on_ms is None:
        assert all(blocks)
    else:
        period = [True] * (on_ms // 10) + [False] * (off_ms // 10)
        assert blocks == period * 2
    assert not src.ended


@pytest.mark.parametrize("digit", list("0123456789*#ABCD"))
def test_dtmf_pairs(digit: str) -> None:
    row, col = audio.ToneSource.dtmf_pair(digit)
    assert row in (697, 770, 852, 941) and col in (1209, 1336, 1477, 1633)
    src = audio.ToneSource.dtmf(digit, 8000, on_ms=100, off_ms=50)
    x = src.read(8000)
    assert len(x) == 1200 and src.ended  # 100 + 50 ms then the end
    assert peaks(x[:800], 8000, 2) == pytest.approx([row, col], abs=11)


def test_dtmf_digit_table_is_q23() -> None:
    table = {d: audio.ToneSource.dtmf_pair(d) for d in "123A456B789C*0#D"}
    assert table["5"] == (770, 1336) and table["*"] == (941, 1209) and table["D"] == (941, 1633)
    assert len(set(table.values())) == 16
    assert audio.ToneSource.dtmf_pair("a") == table["A"]


def test_dtmf_sequence_cadence() -> None:
    src = audio.ToneSource.dtmf("19#", 8000, on_ms=80, off_ms=40)
    x = src.read(8000)
    assert len(x) == 3 * 120 * 8
    blocks = on_off(x, 80)  # 10 ms
    assert blocks == ([True] * 8 + [False] * 4) * 3
    assert peaks(x[960 : 960 + 640], 8000, 2) == pytest.approx([852, 1477], abs=13)


def test_phase_continuous_across_reads() -> None:
    """Frame-by-frame output equals one long read: no phase reset at frame boundaries."""
    a = audio.ToneSource(RATE, [([1000.0], 0)])
    b = audio.ToneSource(RATE, [([1000.0], 0)])
    frames = np.concatenate([b.read(n) for n in [1, 159, 160, 333, 7] * 40])
    whole = a.read(len(frames))
    assert np.array_equal(whole, frames)
    # And the sine has no jump: the largest sample step is what a 1 kHz sine allows.
    peak = np.abs(whole).max()
    assert np.abs(np.diff(whole.astype(np.int32))).max() <= peak * 2 * np.pi * 1000 / RATE + 2


def test_level_and_silence() -> None:
    x = audio.ToneSource(RATE, [([1000.0], 0)], level_dbfs=-6.0).read(RATE)
    assert np.abs(x).max() == pytest.approx(32767 * 10 ** (-6 / 20), abs=2)
    silent = audio.ToneSource(RATE, [([], 0)]).read(800)
    assert len(silent) == 800 and not silent.any()


def test_custom_cadence_once_ends_and_restart() -> None:
    src = audio.ToneSource(8000, [([600.0], 100), ([], 100)], repeat=False)
    assert len(src.read(5000)) == 1600 and src.ended
    src.restart()
    assert len(src.read(100)) == 100 and not src.ended


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"segments": [([5000.0], 0)], "sample_rate": 8000}, "freqs"),
        ({"segments": [([1.0, 2.0, 3.0], 0)], "sample_rate": 8000}, "freqs"),
        ({"segments": [], "sample_rate": 8000}, "segments"),
        ({"segments": [([440.0], 0), ([], 100)], "sample_rate": 8000}, "segments"),
        ({"segments": [([440.0], 0)], "sample_rate": 100}, "sample_rate"),
        ({"segments": [([440.0], 0)], "sample_rate": 8000, "level_dbfs": 3.0}, "level_dbfs"),
    ],
)
def test_bad_parameters_named(kwargs: dict, field: str) -> None:
    with pytest.raises(MediaError) as e:
        audio.ToneSource(**kwargs)
    assert e.value.field == field


def test_bad_preset_and_digit() -> None:
    with pytest.raises(MediaError) as e:
        audio.ToneSource.preset("howler", 8000)
    assert e.value.field == "preset"
    with pytest.raises(MediaError) as e:
        audio.ToneSource.dtmf("12X", 8000)
    assert e.value.field == "digits"
    with pytest.raises(MediaError) as e:
        audio.ToneSource.preset("dial", 8000, region="jp")
    assert e.value.field == "region"
