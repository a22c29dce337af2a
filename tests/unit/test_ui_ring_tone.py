"""The ringer's tone and its refusal of a device that does not exist (the real device is
tested on a PulseAudio null sink in tests/browser/test_ui_ringer.py)."""

from __future__ import annotations

import asyncio

import numpy as np

from siperb.ui.ringer import RATE, RING_HZ, Ringer, ring_tone


def _peaks(x: np.ndarray) -> list[float]:
    spec = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    top = np.argsort(spec)[-2:]
    return sorted(float(i * RATE / len(x)) for i in top)


def test_the_tone_is_one_second_of_440_plus_480_then_two_of_silence() -> None:
    tone = ring_tone()
    on = tone.read(RATE)
    off = tone.read(2 * RATE)
    again = tone.read(RATE)
    assert [round(f) for f in _peaks(on)] == [round(f) for f in RING_HZ]
    assert int(np.abs(off).max()) == 0
    assert int(np.abs(again).max()) > 8000  # repeated


def test_an_unknown_device_is_reported_and_nothing_rings() -> None:
    async def main() -> Ringer:
        ringer = Ringer()
        await ringer.update("no such sound card 1234", True)
        assert not ringer.playing
        await ringer.update("no such sound card 1234", False)
        await ringer.close()
        return ringer

    ringer = asyncio.run(main())
    assert ringer.error and "no such sound card 1234" in ringer.error, ringer.error
