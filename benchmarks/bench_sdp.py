"""SDP parse/serialise and answer: siperb against sdp-transform, the pure-Python alternative.

Both sides parse the same Chrome-style offer (ICE, DTLS, three m= lines) and write it back.
Medians and ratios are printed after the module's benchmarks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from siperb import _core
from siperb.sdp import Capabilities, Codec, SessionDescription, create_answer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "unit"))
from test_sdp_samples import BARESIP, CHROME

sdp_transform = pytest.importorskip("sdp_transform")

TEXT = CHROME.replace("\n", "\r\n")
RESULTS: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_ratios(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    base = RESULTS.get("sdp-transform")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if not base or reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():  # teardown output is captured otherwise
        reporter.write_line("")
        for name, median in RESULTS.items():
            ratio = base / median
            reporter.write_line(
                f"{name:22s} median {median * 1e6:8.1f} us, sdp-transform / this = {ratio:.1f}x"
            )


def _run(benchmark: Any, name: str, fn: Callable[[], object]) -> None:
    benchmark(fn)
    RESULTS[name] = benchmark.stats.stats.median


def test_siperb_native_parse_write(benchmark: Any) -> None:
    _run(benchmark, "siperb native", lambda: _core.SdpSession.parse(TEXT).to_string())


def test_siperb_dataclass_parse_write(benchmark: Any) -> None:
    _run(benchmark, "siperb.sdp", lambda: str(SessionDescription.parse(TEXT)))


def test_sdp_transform_parse_write(benchmark: Any) -> None:
    _run(benchmark, "sdp-transform", lambda: sdp_transform.write(sdp_transform.parse(TEXT)))


def test_siperb_create_answer(benchmark: Any) -> None:
    local = Capabilities(codecs=[Codec.opus(), Codec.pcmu()], port=4000, session_id=1)
    benchmark(lambda: create_answer(BARESIP, local))  # no counterpart in sdp-transform
