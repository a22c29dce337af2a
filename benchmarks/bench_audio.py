"""Audio I/O: siperb vs what a Python program would use instead.

- WAV read of 10 s, 48 kHz, 16-bit stereo: siperb's strict reader vs the stdlib ``wave``
  module + ``numpy.frombuffer`` (which validates much less and handles only integer PCM).
- A 20 ms tone frame: ``ToneSource.read`` vs numpy computing the same two sines.
- Moving a 20 ms frame from a producer to a consumer: ``BufferSource`` push + read (the
  lock-free ring) vs ``collections.deque`` of frames and ``queue.Queue``.
"""

from __future__ import annotations

import queue
import wave
from collections import deque
from pathlib import Path

import numpy as np
import pytest

from siperb import audio

RATE = 48000
FRAME = 960  # 20 ms at 48 kHz


@pytest.fixture(scope="module")
def wav_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "stereo.wav"
    rng = np.random.default_rng(1)
    audio.write_wav(path, rng.integers(-20000, 20000, (RATE * 10, 2), dtype=np.int16), RATE)
    return path


def _stdlib_read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        raw = w.readframes(w.getnframes())
        return np.frombuffer(raw, "<i2").reshape(-1, w.getnchannels())


def test_wav_read_siperb(benchmark, wav_path: Path) -> None:
    benchmark.group = "WAV read 10 s 48 kHz stereo"
    benchmark.extra_info["impl"] = "siperb"
    rate, ch, pcm = benchmark(audio.WavFile.read, wav_path)
    assert (rate, ch) == (RATE, 2)
    assert np.array_equal(pcm, _stdlib_read(wav_path))


def test_wav_read_stdlib(benchmark, wav_path: Path) -> None:
    benchmark.group = "WAV read 10 s 48 kHz stereo"
    benchmark.extra_info["impl"] = "wave+numpy"
    benchmark(_stdlib_read, wav_path)


def test_tone_siperb(benchmark) -> None:
    benchmark.group = "dual tone 20 ms frame"
    benchmark.extra_info["impl"] = "siperb"
    src = audio.ToneSource.preset("dial", RATE)
    assert len(benchmark(src.read, FRAME)) == FRAME


def test_tone_numpy(benchmark) -> None:
    benchmark.group = "dual tone 20 ms frame"
    benchmark.extra_info["impl"] = "numpy"
    amp = 32767 * 10 ** (-13 / 20)
    state = {"n": 0}

    def frame() -> np.ndarray:
        t = (state["n"] + np.arange(FRAME)) / RATE
        state["n"] += FRAME
        x = amp * (np.sin(2 * np.pi * 350 * t) + np.sin(2 * np.pi * 440 * t))
        return np.round(x).astype(np.int16)

    benchmark(frame)


PCM = np.zeros(FRAME, np.int16)


def test_handoff_siperb(benchmark) -> None:
    benchmark.group = "frame handoff producer -> consumer"
    benchmark.extra_info["impl"] = "siperb"
    src = audio.BufferSource(RATE, RATE)

    def step() -> np.ndarray:
        src.push(PCM)
        return src.read(FRAME)

    assert len(benchmark(step)) == FRAME


def test_handoff_deque(benchmark) -> None:
    benchmark.group = "frame handoff producer -> consumer"
    benchmark.extra_info["impl"] = "deque"
    q: deque[np.ndarray] = deque(maxlen=50)

    def step() -> np.ndarray:
        q.append(PCM.copy())
        return q.popleft()

    benchmark(step)


def test_handoff_queue(benchmark) -> None:
    benchmark.group = "frame handoff producer -> consumer"
    benchmark.extra_info["impl"] = "queue.Queue"
    q: queue.Queue[np.ndarray] = queue.Queue(maxsize=50)

    def step() -> np.ndarray:
        q.put_nowait(PCM.copy())
        return q.get_nowait()

    benchmark(step)
