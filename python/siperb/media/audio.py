"""Audio in and out of calls: devices, WAV files, tones, and buffers for programs.

Every source and sink here is a native object that the media engine holds directly (as an
``AudioSource`` or ``AudioSink``) and calls every packet time without Python: reading and
writing them never blocks the engine. ``AudioSource.read(n)`` and ``AudioSink.write(pcm)``
do what the engine does, for tests and for driving a source or sink without a call.

Samples are mono int16 numpy arrays at the object's ``sample_rate``.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

import numpy as np
import numpy.typing as npt

from .. import _core

__all__ = [
    "AudioDevice",
    "AudioDeviceInfo",
    "AudioSink",
    "AudioSource",
    "BufferSink",
    "BufferSource",
    "CallRecorder",
    "ToneSource",
    "WavFile",
    "WavFileSink",
    "WavFileSource",
    "default_devices",
    "list_devices",
    "write_wav",
]

Pcm = npt.NDArray[np.int16]
Encoding = Literal["pcm8", "pcm16", "pcm24", "pcm32", "float32", "float64", "ulaw", "alaw"]

AudioSource = _core.AudioSource
AudioSink = _core.AudioSink
ToneSource = _core.ToneSource
WavFileSource = _core.WavFileSource
WavFileSink = _core.WavFileSink
BufferSource = _core.BufferSource


# --- WAV files ---


@dataclass(frozen=True)
class WavInfo:
    """What a WAV header says (after validation)."""

    sample_rate: int
    channels: int
    encoding: str
    frames: int
    data_offset: int
    data_bytes: int


class WavFile:
    """Strict WAV reading: malformed files raise ``WavError`` naming the chunk or field."""

    @staticmethod
    def read(path: str | os.PathLike[str]) -> tuple[int, int, Pcm]:
        """(sample_rate, channels, samples): shape (n,) for mono, (n, 2) for stereo, as int16."""
        rate, channels, pcm, _encoding = _core.wav_read(os.fspath(path))
        return rate, channels, pcm

    @staticmethod
    def info(path: str | os.PathLike[str]) -> WavInfo:
        return WavInfo(**_core.wav_info(os.fspath(path)))


def write_wav(
    path: str | os.PathLike[str], pcm: npt.ArrayLike, rate: int, encoding: Encoding = "pcm16"
) -> None:
    """Write int16 samples, shape (n,) or (n, 2), to a WAV file in the given encoding."""
    _core.wav_write(os.fspath(path), np.ascontiguousarray(pcm, dtype=np.int16), rate, encoding)


# --- buffers for programs ---


class BufferSink(_core.BufferSink):
    """Received call audio for a program: ``read(n, timeout)``, ``read_nowait(n)`` or
    ``await aread(n)`` (the sink's ``fileno()`` is an eventfd, so asyncio waits without a
    thread). Reads return exactly n samples, fewer only on timeout or once ``close()``d.
    """

    async def aread(self, n: int) -> Pcm:
        """Wait (without blocking the event loop) for n samples."""
        loop = asyncio.get_running_loop()
        while True:
            pcm = self.read_nowait(n)
            if pcm is not None:
                return pcm
            if self.closed:
                return self.read(n, 0.0)
            ready: asyncio.Future[None] = loop.create_future()

            def wake(fut: asyncio.Future[None] = ready) -> None:
                if not fut.done():
                    fut.set_result(None)

            self.clear_event()
            loop.add_reader(self.fileno(), wake)
            try:
                self.arm(n)
                await ready
            finally:
                loop.remove_reader(self.fileno())


# --- recording ---


class CallRecorder(_core.CallRecorder):
    """Records a call to one WAV: ``local_sink()`` (what we send) on the left and
    ``remote_sink()`` (what we hear) on the right, or mixed to mono with ``stereo=False``.
    Start and stop at any time; as a context manager it records for the ``with`` block.
    """

    def __enter__(self) -> CallRecorder:
        if not self.stats["recording"]:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --- devices ---


@dataclass(frozen=True)
class AudioDeviceInfo:
    """A PortAudio device; ``input_rates``/``output_rates`` are the probed rates among
    8, 16, 32, 44.1 and 48 kHz that accept int16 mono (or stereo)."""

    index: int
    name: str
    host_api: str
    max_input_channels: int
    max_output_channels: int
    default_sample_rate: float
    default_input: bool
    default_output: bool
    input_rates: tuple[int, ...]
    output_rates: tuple[int, ...]


def list_devices() -> list[AudioDeviceInfo]:
    """Every PortAudio device (PortAudio is initialised for the call; the GIL is released)."""
    out = []
    for d in _core.audio_list_devices():
        d["input_rates"] = tuple(d["input_rates"])
        d["output_rates"] = tuple(d["output_rates"])
        out.append(AudioDeviceInfo(**d))
    return out


def default_devices() -> tuple[AudioDeviceInfo | None, AudioDeviceInfo | None]:
    """(default input, default output); None where the system has none."""
    devices = list_devices()
    return (
        next((d for d in devices if d.default_input), None),
        next((d for d in devices if d.default_output), None),
    )


class AudioDevice(_core.AudioDevice):
    """A sound card as an engine ``source`` (microphone) and ``sink`` (speaker).

    ``input``/``output``: None for the default device, a name (exact, else the first
    containing it, case-insensitive), an index, or False for none. One PortAudio callback
    stream serves both directions. If the device disappears, ``status`` becomes "failed",
    ``error`` says why and ``fileno()`` becomes readable (``await wait_failed()``); the
    source and sink then carry silence.
    """

    def __enter__(self) -> AudioDevice:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def wait_failed(self) -> str:
        """Return the error once the device has failed (or "closed" once closed)."""
        loop = asyncio.get_running_loop()
        while self.status == "running":
            ready: asyncio.Future[None] = loop.create_future()

            def wake(fut: asyncio.Future[None] = ready) -> None:
                if not fut.done():
                    fut.set_result(None)

            loop.add_reader(self.fileno(), wake)
            try:
                if self.status == "running":
                    await ready
            finally:
                loop.remove_reader(self.fileno())
        return self.error or self.status
