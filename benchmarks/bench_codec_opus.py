"""Opus per 20 ms frame at 48 kHz, 32 kbit/s, VoIP, complexity 9 (libopus's default): siperb
vs opuslib (ctypes) vs a plain C loop over libopus (benchmarks/native/bench_codec_opus.cpp).

Each call takes the next of 250 different frames of speech-like audio. The C loop is built
with -DSIPERB_NATIVE_BENCH=ON into build/bench on first use (skipped without cmake). Ratios
(best-round time / siperb's, the least disturbed by other load) are printed at the end.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from itertools import cycle
from pathlib import Path

import numpy as np
import pytest

from bench_codec_report import print_ratios
from siperb.media.codecs import OpusDecoder, OpusEncoder
from siperb.media.codecs.signals import speech_like

try:
    import opuslib
except Exception:  # not installed, or libopus not found by ctypes
    opuslib = None

needs_opuslib = pytest.mark.skipif(opuslib is None, reason="opuslib not importable")

RATE, FRAME, BITRATE, COMPLEXITY = 48000, 960, 32000, 9
SIGNAL = speech_like(5.0, RATE, seed=11)
FRAMES = [SIGNAL[i : i + FRAME].copy() for i in range(0, len(SIGNAL), FRAME)]
PACKETS = OpusEncoder(RATE, bitrate=BITRATE, complexity=COMPLEXITY).encode_many(SIGNAL, FRAME)
ROOT = Path(__file__).resolve().parent.parent
RESULTS: dict[str, float] = {}


def run(benchmark, op: str, impl: str, items: list, fn: Callable) -> None:  # type: ignore[type-arg]
    benchmark.group = f"Opus {op}, 20 ms at 48 kHz"
    benchmark.extra_info["impl"] = impl
    it: Iterator = cycle(items)  # type: ignore[type-arg]
    # A round is one pass over all frames (speech and pauses), like a pass of the C loop; the
    # best round of each is compared.
    rounds = 20 if op == "encode" else 60
    benchmark.pedantic(lambda: fn(next(it)), iterations=len(items), rounds=rounds, warmup_rounds=1)
    RESULTS[f"{impl} {op}"] = benchmark.stats.stats.min * 1e6


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    title = "Opus, us per 20 ms frame (best round), and time / siperb's:"
    print_ratios(request, title, "us", RESULTS)


def test_siperb_encode(benchmark) -> None:
    enc = OpusEncoder(RATE, bitrate=BITRATE, complexity=COMPLEXITY)
    run(benchmark, "encode", "siperb", FRAMES, enc.encode)


@needs_opuslib
def test_opuslib_encode(benchmark) -> None:
    enc = opuslib.Encoder(RATE, 1, opuslib.APPLICATION_VOIP)
    enc.bitrate = BITRATE
    enc.complexity = COMPLEXITY
    run(
        benchmark,
        "encode",
        "opuslib",
        [f.tobytes() for f in FRAMES],
        lambda b: enc.encode(b, FRAME),
    )


def test_siperb_decode(benchmark) -> None:
    dec = OpusDecoder(RATE)
    run(benchmark, "decode", "siperb", PACKETS, dec.decode)


@needs_opuslib
def test_opuslib_decode(benchmark) -> None:
    dec = opuslib.Decoder(RATE, 1)
    run(benchmark, "decode", "opuslib", PACKETS, lambda p: dec.decode(p, FRAME))


def native_binary() -> Path | None:
    exe = ROOT / "build" / "bench" / "bench_codec_opus"
    if exe.exists():
        return exe
    if shutil.which("cmake") is None or shutil.which("ninja") is None:
        return None
    build = ROOT / "build" / "bench"
    configure = ["cmake", "-S", str(ROOT), "-B", str(build), "-G", "Ninja"]
    configure += ["-DCMAKE_BUILD_TYPE=Release", "-DSIPERB_NATIVE_BENCH=ON", "-DSIPERB_PYTHON=OFF"]
    subprocess.run(configure, check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build), "--target", "bench_codec_opus"], check=True)
    return exe


def test_c_loop(benchmark, tmp_path: Path) -> None:
    exe = native_binary()
    if exe is None:
        pytest.skip("cmake/ninja not available to build the C loop")
    pcm = tmp_path / "speech48k.raw"
    SIGNAL.tofile(pcm)
    args = [str(exe), str(pcm), str(RATE), str(BITRATE), str(COMPLEXITY), str(FRAME), "1.0"]

    def best_of_three() -> tuple[float, float]:
        runs = [
            subprocess.run(args, check=True, capture_output=True, text=True).stdout
            for _ in range(3)
        ]
        found = [re.search(r"encode_ns=([\d.]+) decode_ns=([\d.]+)", out) for out in runs]
        assert all(found), runs
        return min(float(m.group(1)) for m in found), min(float(m.group(2)) for m in found)

    enc_ns, dec_ns = benchmark.pedantic(best_of_three, rounds=1, iterations=1)
    RESULTS["C loop encode"] = enc_ns / 1e3
    RESULTS["C loop decode"] = dec_ns / 1e3
    benchmark.extra_info.update(
        encode_us=RESULTS["C loop encode"], decode_us=RESULTS["C loop decode"]
    )
    benchmark.group = "Opus C loop (3 runs of 1 s encode + 1 s decode)"
    benchmark.extra_info["impl"] = "libopus C loop"
    assert np.isfinite(RESULTS["C loop encode"])
