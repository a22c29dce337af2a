"""WAV file sources (preloaded and streamed, resampled, looped) and recorders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import siperb
from siperb import audio
from siperb.errors import CodecError, MediaError, WavError


def tone(freq: float, rate: int, seconds: float, amp: float = 8000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.round(amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def dominant(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spec))])


def drain(src: audio.AudioSource, frame: int, limit: int = 10**6) -> np.ndarray:
    out = []
    total = 0
    while not src.ended and total < limit:
        x = src.read(frame)
        out.append(x)
        total += len(x)
    return np.concatenate(out) if out else np.zeros(0, np.int16)


@pytest.mark.parametrize("preload", [True, False])
def test_same_rate_plays_exactly_once(tmp_path: Path, preload: bool) -> None:
    pcm = tone(440, 8000, 1.3)
    audio.write_wav(tmp_path / "a.wav", pcm, 8000)
    src = audio.WavFileSource(tmp_path / "a.wav", 8000, preload_limit=10**9 if preload else 100)
    assert src.streamed is not preload
    got = drain(src, 160)
    assert np.array_equal(got, pcm) and src.ended
    assert src.counters["underrun_samples"] == 0


@pytest.mark.parametrize("preload", [True, False])
def test_resampled_stereo_is_mono_at_the_requested_rate(tmp_path: Path, preload: bool) -> None:
    left = tone(1000, 44100, 2.0)
    stereo = np.stack([left, left], axis=1)
    audio.write_wav(tmp_path / "s.wav", stereo, 44100)
    src = audio.WavFileSource(tmp_path / "s.wav", 16000, preload_limit=10**9 if preload else 1000)
    assert (src.file_rate, src.file_channels, src.sample_rate) == (44100, 2, 16000)
    got = drain(src, 320)
    assert abs(len(got) - 32000) <= 64
    assert dominant(got[2000:30000], 16000) == pytest.approx(1000, abs=2)
    rms = np.sqrt(np.mean(got[2000:30000].astype(np.float64) ** 2))
    assert rms == pytest.approx(8000 / np.sqrt(2), rel=0.05)


@pytest.mark.parametrize("preload", [True, False])
def test_loop_repeats_without_end(tmp_path: Path, preload: bool) -> None:
    pcm = np.arange(1000, dtype=np.int16)
    audio.write_wav(tmp_path / "l.wav", pcm, 8000)
    src = audio.WavFileSource(
        tmp_path / "l.wav", 8000, loop=True, preload_limit=10**9 if preload else 100
    )
    got = np.concatenate([src.read(160) for _ in range(40)])  # 6400 samples = 6.4 loops
    if not preload:  # the loader tops the ring up in the background
        assert len(got) <= 6400
    assert not src.ended
    assert np.array_equal(got[:3000], np.tile(pcm, 3))


def test_source_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.wav").write_bytes(b"RIFF\x04\0\0\0WAVE")
    with pytest.raises(WavError) as e:
        audio.WavFileSource(tmp_path / "bad.wav", 8000)
    assert e.value.field == "data"
    audio.write_wav(tmp_path / "ok.wav", np.zeros(10, np.int16), 8000)
    with pytest.raises(CodecError):
        audio.WavFileSource(tmp_path / "ok.wav", 10)


def test_wav_file_sink_records_what_the_engine_writes(tmp_path: Path) -> None:
    sink = audio.WavFileSink(tmp_path / "r.wav", 16000)
    pcm = tone(700, 16000, 1.0)
    for i in range(0, len(pcm), 320):
        sink.write(pcm[i : i + 320])
    sink.close()
    rate, ch, got = audio.WavFile.read(tmp_path / "r.wav")
    assert (rate, ch) == (16000, 1) and np.array_equal(got, pcm)
    st = sink.stats
    assert st["frames_written"] == len(pcm) and st["dropped_samples"] == 0 and not st["recording"]


def test_call_recorder_stereo_layout(tmp_path: Path) -> None:
    rec = audio.CallRecorder(tmp_path / "call.wav", stereo=True, sample_rate=8000)
    local, remote = rec.local_sink(), rec.remote_sink()
    assert isinstance(local, audio.AudioSink) and local.sample_rate == 8000
    local.write(np.full(160, 5, np.int16))  # before start: discarded
    with rec:
        for _ in range(50):
            local.write(np.full(160, 1000, np.int16))
            remote.write(np.full(160, -2000, np.int16))
    rate, ch, got = audio.WavFile.read(tmp_path / "call.wav")
    assert (rate, ch) == (8000, 2) and got.shape == (8000, 2)
    assert (got[:, 0] == 1000).all() and (got[:, 1] == -2000).all()
    assert rec.stats["dropped_samples"] == 0 and rec.stats["padded_samples"] == 0


def test_call_recorder_mix_pads_a_silent_side_and_restarts(tmp_path: Path) -> None:
    rec = audio.CallRecorder(tmp_path / "mix.wav", stereo=False, sample_rate=8000)
    rec.start()
    for _ in range(10):
        rec.local_sink().write(np.full(160, 30000, np.int16))
        rec.remote_sink().write(np.full(160, 10000, np.int16))
    for _ in range(10):  # remote on hold: only local audio
        rec.local_sink().write(np.full(160, 100, np.int16))
    rec.stop()
    rate, ch, got = audio.WavFile.read(tmp_path / "mix.wav")
    assert (rate, ch) == (8000, 1) and len(got) == 3200
    assert (got[:1600] == 32767).all()  # saturated sum
    assert (got[1600:] == 100).all()
    assert rec.stats["padded_samples"] == 1600
    # Start again into another file: fresh content only.
    rec.start(tmp_path / "again.wav")
    rec.remote_sink().write(np.full(80, 7, np.int16))
    rec.local_sink().write(np.full(80, 1, np.int16))
    rec.stop()
    assert audio.WavFile.read(tmp_path / "again.wav")[2].tolist() == [8] * 80


def test_call_recorder_errors(tmp_path: Path) -> None:
    rec = audio.CallRecorder(tmp_path / "no-such-dir" / "x.wav")
    with pytest.raises(WavError) as e:
        rec.start()
    assert e.value.field == "path"
    rec2 = audio.CallRecorder(tmp_path / "y.wav")
    rec2.start()
    with pytest.raises(MediaError):
        rec2.start()
    rec2.stop()


# A file that cannot grow past 4000 bytes (RLIMIT_FSIZE): the writer thread fails mid-recording.
_FAILING_WRITER = """
import resource, signal, sys, time
import numpy as np
from siperb import audio
from siperb.errors import MediaError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4000, 4000))
rec = audio.CallRecorder(sys.argv[1], stereo=True, sample_rate=8000)
rec.start()
for _ in range(100):
    rec.local_sink().write(np.ones(160, np.int16))
    rec.remote_sink().write(np.ones(160, np.int16))
    time.sleep(0.005)
try:
    rec.stop()
except MediaError as e:
    print("error", e.field)
st = rec.stats
print(st["frames_written"], st["dropped_frames"], st["dropped_samples"])
"""


def test_call_recorder_counts_what_a_failed_writer_loses(tmp_path: Path) -> None:
    """Every frame the inputs were given is either in the file or counted as dropped."""
    env = dict(os.environ, PYTHONPATH=str(Path(siperb.__file__).parents[1]))
    out = subprocess.run(
        [sys.executable, "-c", _FAILING_WRITER, str(tmp_path / "full.wav")],
        capture_output=True, text=True, timeout=60, env=env, check=True,
    ).stdout.split("\n")  # fmt: skip
    assert out[0] == "error recorder"
    written, dropped_frames, dropped_samples = map(int, out[1].split())
    assert 0 < written < 16000 and written + dropped_frames == 16000
    assert dropped_samples == 2 * dropped_frames
