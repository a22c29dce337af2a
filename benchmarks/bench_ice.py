"""STUN per message: parse + MESSAGE-INTEGRITY check (+ FINGERPRINT) of an ICE connectivity
check, siperb's native codec against aioice (aiortc's ICE, what a Python user would pick), in
the same run; and the IceAgent answering a check (parse, verify, respond) from Python.
Medians and ratios are printed after the module's benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from siperb import _core

stun = pytest.importorskip("aioice.stun")

# RFC 5769 2.1: a Binding request with USERNAME, PRIORITY, ICE-CONTROLLED, MESSAGE-INTEGRITY
# and FINGERPRINT (the shape of every ICE check and consent request).
CHECK = bytes.fromhex(
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74"
    "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020"
    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf"
)
KEY = b"VOkJxbRl1RmTxUk/WvJxBt"
RESULTS: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_ratios(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    base = RESULTS.get("aioice parse+verify")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if not base or reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for name, median in RESULTS.items():
            reporter.write_line(
                f"{name:28s} median {median * 1e6:7.2f} us, aioice / this = {base / median:.1f}x"
            )


def _run(benchmark: Any, name: str, fn: Callable[[], object]) -> None:
    assert fn()  # the work being measured succeeds
    benchmark(fn)
    RESULTS[name] = benchmark.stats.stats.median


def test_siperb_parse_verify(benchmark: Any) -> None:
    _run(benchmark, "siperb parse+verify", lambda: _core.stun_parse(CHECK).check_integrity(KEY))


def test_aioice_parse_verify(benchmark: Any) -> None:
    _run(
        benchmark,
        "aioice parse+verify",
        lambda: stun.parse_message(CHECK).check_message_integrity(KEY),
    )


def test_siperb_agent_answers_a_check(benchmark: Any) -> None:
    agent = _core.IceAgent(role="controlling", local_ufrag="evtj", local_pwd=KEY.decode())
    agent.add_host_candidate(("127.0.0.1", 5000))
    src = ("192.0.2.1", 32853)

    def answer() -> bool:
        agent.on_stun(CHECK, src, False, 0)
        return agent.poll_transmit() is not None

    _run(benchmark, "siperb agent answer", answer)
