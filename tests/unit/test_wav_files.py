"""WAV: round trips in every encoding, cross-checks with the stdlib, strict rejection of
malformed files naming the field, crash-safe streaming writes."""

from __future__ import annotations

import struct
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from siperb import _core, audio
from siperb.errors import WavError

RNG = np.random.default_rng(7)
PCM = RNG.integers(-32768, 32768, 4001, dtype=np.int16)  # odd length: pad bytes for 8-bit


def _max_error(encoding: str) -> int:
    # Quantisation step of each encoding, in int16 units (G.711 segments reach 1024 / 2048).
    return {"pcm8": 256, "ulaw": 1024 * 2, "alaw": 1024 * 2}.get(encoding, 0)


@pytest.mark.parametrize(
    "encoding", ["pcm8", "pcm16", "pcm24", "pcm32", "float32", "float64", "ulaw", "alaw"]
)
@pytest.mark.parametrize("channels", [1, 2])
def test_round_trip(tmp_path: Path, encoding: str, channels: int) -> None:
    pcm = PCM[: (len(PCM) // channels) * channels].reshape(-1, channels) if channels == 2 else PCM
    path = tmp_path / f"{encoding}.wav"
    audio.write_wav(path, pcm, 22050, encoding)
    rate, ch, got = audio.WavFile.read(path)
    assert (rate, ch) == (22050, channels)
    assert got.shape == pcm.shape and got.dtype == np.int16
    err = np.abs(got.astype(np.int32) - pcm.astype(np.int32)).max()
    assert err <= _max_error(encoding)
    if _max_error(encoding):
        # Lossy encodings are idempotent: re-encoding the decoded signal is exact.
        audio.write_wav(path, got, 22050, encoding)
        assert np.array_equal(audio.WavFile.read(path)[2], got)
    info = audio.WavFile.info(path)
    assert info.encoding == encoding and info.frames == len(pcm)


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_reads_stdlib_wave_files(tmp_path: Path, width: int) -> None:
    """Files written by Python's wave module (an independent writer) decode to the top bits."""
    wide = RNG.integers(-(2 ** (8 * width - 1)), 2 ** (8 * width - 1), 1000, dtype=np.int64)
    if width == 1:
        raw = (wide + 128).astype(np.uint8).tobytes()
        expect = (wide * 256).astype(np.int16)
    else:
        raw = b"".join(int(v).to_bytes(width, "little", signed=True) for v in wide)
        expect = (wide >> (8 * width - 16)).astype(np.int16)
    path = tmp_path / "std.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(width)
        w.setframerate(8000)
        w.writeframes(raw)
    rate, ch, got = audio.WavFile.read(path)
    assert (rate, ch) == (8000, 1)
    assert np.array_equal(got, expect)


def test_stdlib_reads_our_pcm16(tmp_path: Path) -> None:
    path = tmp_path / "ours.wav"
    audio.write_wav(path, PCM, 16000)
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        assert np.array_equal(np.frombuffer(w.readframes(w.getnframes()), "<i2"), PCM)


def _fmt(tag: int, channels: int, rate: int, bits: int, extra: bytes = b"") -> bytes:
    align = channels * bits // 8
    body = struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits) + extra
    return b"fmt " + struct.pack("<I", len(body)) + body


def _riff(*chunks: bytes, riff_size: int | None = None) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def _data(payload: bytes, size: int | None = None) -> bytes:
    pad = b"\0" if len(payload) % 2 else b""
    return b"data" + struct.pack("<I", len(payload) if size is None else size) + payload + pad


def _extensible(
    subtag: int, channels: int, rate: int, bits: int, valid: int | None = None
) -> bytes:
    guid = struct.pack("<H", subtag) + bytes.fromhex("000000001000800000aa00389b71")
    extra = struct.pack("<HHI", 22, bits if valid is None else valid, 0) + guid
    return _fmt(0xFFFE, channels, rate, bits, extra)


def test_extensible_float_and_g711_tags() -> None:
    floats = np.array([0.0, 0.5, -0.5, 1.5, -2.0, np.nan], dtype="<f4")
    rate, ch, pcm = _core.wav_decode(_riff(_extensible(3, 1, 8000, 32), _data(floats.tobytes())))
    assert (rate, ch) == (8000, 1)
    assert pcm.tolist() == [0, 16384, -16384, 32767, -32768, 0]
    codes = bytes(range(256))
    _, _, ulaw = _core.wav_decode(_riff(_fmt(7, 1, 8000, 8, b"\0\0"), _data(codes)))
    assert np.array_equal(ulaw, _core.g711_ulaw_decode(codes))
    _, _, alaw = _core.wav_decode(_riff(_extensible(6, 1, 8000, 8), _data(codes)))
    assert np.array_equal(alaw, _core.g711_alaw_decode(codes))


def test_unknown_chunks_skipped_and_trailing_bytes_ignored() -> None:
    pcm = np.arange(-5, 5, dtype="<i2")
    junk = b"LIST" + struct.pack("<I", 3) + b"abc\0"  # odd chunk with its pad byte
    data = _riff(junk, _fmt(1, 1, 8000, 16), _data(pcm.tobytes())) + b"ID3 trailing"
    assert _core.wav_decode(data)[2].tolist() == pcm.tolist()


GOOD_FMT = _fmt(1, 1, 8000, 16)
GOOD_DATA = _data(b"\0\0" * 4)


@pytest.mark.parametrize(
    ("blob", "field", "words"),
    [
        (b"RIFX" + b"\0" * 40, "RIFF", "RIFX"),
        (b"OggS" + b"\0" * 40, "RIFF", "not a RIFF"),
        (b"RIFF\4\0\0\0", "RIFF", "shorter"),
        (
            _riff(GOOD_FMT, GOOD_DATA)[:8] + b"AVI " + _riff(GOOD_FMT, GOOD_DATA)[12:],
            "WAVE",
            "WAVE",
        ),
        (_riff(GOOD_FMT, GOOD_DATA, riff_size=1000), "RIFF.size", "beyond"),
        (_riff(GOOD_FMT, GOOD_DATA)[:-4], "RIFF.size", "beyond"),
        (_riff(GOOD_FMT, _data(b"\0\0", size=100)), "data", "beyond"),
        (_riff(GOOD_FMT, b"da"), "chunk", "truncated chunk header"),
        (_riff(GOOD_DATA, GOOD_FMT), "data", "before the fmt"),
        (_riff(GOOD_FMT), "data", "no data"),
        (_riff(b"LIST\0\0\0\0"), "data", "no fmt"),
        (_riff(GOOD_FMT, GOOD_FMT, GOOD_DATA), "fmt", "duplicate"),
        (_riff(b"fmt \x0e\0\0\0" + b"\1\0" * 7, GOOD_DATA), "fmt", "below 16"),
        (_riff(b"fmt \x11\0\0\0" + GOOD_FMT[8:] + b"\0\0", GOOD_DATA), "fmt", "chunk size 17"),
        (_riff(_fmt(1, 1, 8000, 16, struct.pack("<H", 10)), GOOD_DATA), "fmt.cbSize", "do not fit"),
        (_riff(_fmt(1, 0, 8000, 16), GOOD_DATA), "fmt.nChannels", "zero"),
        (_riff(_fmt(1, 6, 8000, 16), _data(b"\0" * 12)), "fmt.nChannels", "6 channels"),
        (_riff(_fmt(1, 1, 0, 16), GOOD_DATA), "fmt.nSamplesPerSec", "outside"),
        (_riff(_fmt(2, 1, 8000, 4), GOOD_DATA), "fmt.wFormatTag", "ADPCM"),
        (_riff(_fmt(0x55, 1, 8000, 16), GOOD_DATA), "fmt.wFormatTag", "MP3"),
        (_riff(_fmt(1, 1, 8000, 12), GOOD_DATA), "bits_per_sample", "12 bits"),
        (_riff(_fmt(3, 1, 8000, 16), GOOD_DATA), "bits_per_sample", "16 bits"),
        (_riff(_fmt(0xFFFE, 1, 8000, 16), GOOD_DATA), "fmt", "too small"),
        (_riff(_extensible(0x55, 1, 8000, 16), GOOD_DATA), "fmt.SubFormat", "MP3"),
        (
            _riff(_extensible(1, 1, 8000, 16, valid=20), GOOD_DATA),
            "fmt.wValidBitsPerSample",
            "1..16",
        ),
        (
            _riff(GOOD_FMT.replace(struct.pack("<I", 16000), struct.pack("<I", 16001)), GOOD_DATA),
            "fmt.nAvgBytesPerSec",
            "rate * block align",
        ),
        (_riff(_fmt(1, 2, 8000, 16), _data(b"\0" * 6)), "data", "whole number of frames"),
    ],
)
def test_malformed_names_the_field(blob: bytes, field: str, words: str) -> None:
    with pytest.raises(WavError) as e:
        _core.wav_decode(blob)
    assert e.value.field == field
    assert words in e.value.reason


def test_bad_block_align_named() -> None:
    body = struct.pack("<HHIIHH", 1, 1, 8000, 8000 * 4, 4, 16)  # align 4 for mono 16-bit
    with pytest.raises(WavError) as e:
        _core.wav_decode(_riff(b"fmt \x10\0\0\0" + body, GOOD_DATA))
    assert e.value.field == "fmt.nBlockAlign"


def test_missing_file_names_path(tmp_path: Path) -> None:
    with pytest.raises(WavError) as e:
        audio.WavFile.read(tmp_path / "nope.wav")
    assert e.value.field == "path" and "nope.wav" in e.value.reason


def test_unknown_encoding_and_bad_shape(tmp_path: Path) -> None:
    with pytest.raises(WavError) as e:
        audio.write_wav(tmp_path / "x.wav", PCM, 8000, "mp3")  # type: ignore[arg-type]
    assert e.value.field == "format"
    with pytest.raises(WavError) as e:
        audio.write_wav(tmp_path / "x.wav", np.zeros((10, 3), np.int16), 8000)
    assert e.value.field == "pcm"


def test_streaming_writer_file_valid_while_open(tmp_path: Path) -> None:
    """A recording is a readable WAV before it is closed (header patched each second)."""
    path = tmp_path / "rec.wav"
    sink = audio.WavFileSink(path, 8000)
    tone = audio.ToneSource.preset("dial", 8000)
    written = 0
    for _ in range(3):  # 3 s, one second at a time (the ring holds 2 s)
        for _ in range(50):
            sink.write(tone.read(160))
        written += 8000
        for _ in range(500):  # the writer thread drains every 20 ms
            if sink.stats["frames_written"] >= written:
                break
            time.sleep(0.01)
    assert sink.stats["frames_written"] == written
    assert audio.WavFile.info(path).frames >= 2 * 8000  # valid, lagging by < 1 s
    sink.close()
    assert audio.WavFile.info(path).frames == written
    assert sink.stats["dropped_samples"] == 0


def test_recorder_counts_drops_when_starved(tmp_path: Path) -> None:
    """Writing 5 s at once into a 2 s ring drops, and says how much."""
    sink = audio.WavFileSink(tmp_path / "burst.wav", 8000)
    sink.write(np.zeros(5 * 8000, np.int16))
    sink.close()
    st = sink.stats
    assert st["frames_written"] + st["dropped_samples"] == 5 * 8000
    assert st["dropped_samples"] >= 3 * 8000


def test_fuzz_regressions_empty_chunks() -> None:
    """Found by fuzz_wav: an empty data chunk decodes to nothing; an empty fmt is named."""
    rate, ch, pcm = _core.wav_decode(_riff(GOOD_FMT, _data(b"")))
    assert (rate, ch, len(pcm)) == (8000, 1, 0)
    with pytest.raises(WavError) as e:
        _core.wav_decode(_riff(b"fmt \0\0\0\0", GOOD_DATA))
    assert e.value.field == "fmt" and "below 16" in e.value.reason
