"""G.711 per 20 ms frame (160 samples): siperb vs audioop vs a numpy table lookup.

Each call takes the next of 250 different frames of speech-like audio. Ratios (alternative's
median / siperb's median) are printed at the end of the module.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from itertools import cycle

import numpy as np
import pytest

from bench_codec_report import print_ratios
from siperb.media.codecs import g711
from siperb.media.codecs.signals import speech_like

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import audioop
    except ImportError:  # Python >= 3.13
        audioop = None

needs_audioop = pytest.mark.skipif(audioop is None, reason="audioop left the stdlib in 3.13")

FRAME = 160
SIGNAL = speech_like(5.0, 8000, seed=21)
FRAMES = [SIGNAL[i : i + FRAME].copy() for i in range(0, len(SIGNAL), FRAME)]
FRAME_BYTES = [f.tobytes() for f in FRAMES]
CODES = [g711.ulaw_encode(f) for f in FRAMES]
# numpy baseline: the whole G.191 mapping as a 64 KiB table indexed by the sample's bit pattern.
ENCODE_TABLE = np.frombuffer(
    g711.ulaw_encode(np.arange(65536, dtype=np.uint16).view(np.int16)), np.uint8
)
DECODE_TABLE = g711.ulaw_decode(bytes(range(256)))

RESULTS: dict[str, float] = {}


def run(benchmark, name: str, items: list, fn: Callable) -> None:  # type: ignore[type-arg]
    op = name.rsplit(" ", 1)[1]
    benchmark.group = f"G.711 u-law {op}, 160 samples"
    benchmark.extra_info["impl"] = name.rsplit(" ", 1)[0]
    it: Iterator = cycle(items)  # type: ignore[type-arg]
    # Fixed iterations per round: auto-calibration picks 1 for some and 20 for others, and the
    # per-round timer overhead (~100 ns) would then skew a ~100 ns call.
    benchmark.pedantic(lambda: fn(next(it)), iterations=250, rounds=400, warmup_rounds=10)
    RESULTS[name] = benchmark.stats.stats.median * 1e9


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    title = "G.711 u-law, ns per 160-sample call (median), and time / siperb's:"
    print_ratios(request, title, "ns", RESULTS)


def test_harness_overhead(benchmark) -> None:
    # The cycling and lambda call every row pays, with the cheapest builtin as the "codec".
    run(benchmark, "harness (cycle+lambda+len) overhead", FRAMES, len)


def test_siperb_encode(benchmark) -> None:
    run(benchmark, "siperb encode", FRAMES, g711.ulaw_encode)


@needs_audioop
def test_audioop_encode(benchmark) -> None:
    run(benchmark, "audioop.lin2ulaw encode", FRAME_BYTES, lambda b: audioop.lin2ulaw(b, 2))


def test_numpy_table_encode(benchmark) -> None:
    run(
        benchmark, "numpy table encode", FRAMES, lambda f: ENCODE_TABLE[f.view(np.uint16)].tobytes()
    )


def test_siperb_decode(benchmark) -> None:
    run(benchmark, "siperb decode", CODES, g711.ulaw_decode)


@needs_audioop
def test_audioop_decode(benchmark) -> None:
    run(benchmark, "audioop.ulaw2lin (bytes) decode", CODES, lambda c: audioop.ulaw2lin(c, 2))


@needs_audioop
def test_audioop_ndarray_decode(benchmark) -> None:
    run(
        benchmark,
        "audioop+frombuffer decode",
        CODES,
        lambda c: np.frombuffer(audioop.ulaw2lin(c, 2), np.int16),
    )


def test_numpy_table_decode(benchmark) -> None:
    run(benchmark, "numpy table decode", CODES, lambda c: DECODE_TABLE[np.frombuffer(c, np.uint8)])
