"""PCM arguments outside the codecs (bindings/buffers.hpp): int16 arrays pass without a copy;
the audio ports and the ring take what numpy converts to int16 without loss, the PLC, the
memory source and the time stretcher whatever ``np.asarray(x, np.int16)`` takes; anything else
is a TypeError naming the argument. (The codecs' stricter rules are in test_codec_g711.py.)"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from siperb import _core
from siperb.errors import WavError


@pytest.mark.parametrize(
    "pcm",
    [
        np.arange(6, dtype=np.int16),
        np.arange(12, dtype=np.int16)[::2] // 2,  # strided: copied
        np.arange(6, dtype=">i2"),  # byte-swapped: converted
        np.arange(6, dtype=np.int8),  # widened without loss
        memoryview(np.arange(6, dtype=np.int16)),
        [0, 1, 2, 3, 4, 5],
    ],
)
def test_ring_takes_lossless_int16(pcm: Any) -> None:
    r = _core.SampleRing(16)
    assert r.write(pcm) == 6
    assert r.read(16).tolist() == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("bad", [np.zeros(4, np.float32), np.zeros(4, np.int32), None, "text"])
def test_ring_rejects_lossy_or_foreign_objects(bad: Any) -> None:
    with pytest.raises(TypeError, match="pcm"):
        _core.SampleRing(16).write(bad)


def test_plc_and_memory_source_cast_like_numpy() -> None:
    plc = _core.G711Plc(8000)
    out = plc.good_frame(np.full(80, 100.7))
    assert out.dtype == np.int16 and len(out) == 80
    src = _core.MemorySource([1.9, 2.0, -3.5], 8000)
    assert src.read(3).tolist() == [1, 2, -3]


def test_wav_write_checks_the_shape_of_converted_input(tmp_path: Any) -> None:
    path = tmp_path / "x.wav"
    _core.wav_write(path, [[1, 2], [3, 4]], 8000)  # list of stereo frames
    rate, channels, pcm, _ = _core.wav_read(path)
    assert (rate, channels, pcm.tolist()) == (8000, 2, [[1, 2], [3, 4]])
    with pytest.raises(WavError) as info:
        _core.wav_write(path, np.zeros((2, 2, 2), np.int16), 8000)
    assert info.value.field == "pcm"
