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


def _connect_on_loopback(goal: str = "completed") -> bool:
    """Two full agents, one host candidate each, real UDP sockets: from start until both have
    a selected pair (goal "selected": media and DTLS can flow) or both are "completed"
    (nominated; the nominating check waits one Ta = 50 ms, RFC 8445 pacing)."""
    import select
    import socket
    import time

    socks = []
    agents = []
    for role in ("controlling", "controlled"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        a = _core.IceAgent(role=role)
        a.add_host_candidate(s.getsockname())
        socks.append(s)
        agents.append(a)
    now = time.monotonic_ns()
    for me, peer in ((0, 1), (1, 0)):
        agents[me].set_remote_credentials(agents[peer].local_ufrag, agents[peer].local_pwd, now)
        for c in agents[peer].local_candidates():
            agents[me].add_remote_candidate(c, now)
        agents[me].end_of_remote_candidates()
    for a in agents:
        a.start(now)
    end = time.monotonic() + 5

    def reached() -> bool:
        if goal == "selected":
            return all(a.selected_remote() is not None for a in agents)
        return all(a.state == "completed" for a in agents)

    while time.monotonic() < end and not reached():
        for a, s in zip(agents, socks, strict=True):
            while (t := a.poll_transmit()) is not None:
                s.sendto(t[1], t[0])
        wait = (min(a.next_deadline() for a in agents) - time.monotonic_ns()) / 1e9
        for s in select.select(socks, [], [], max(0.0, min(wait, 0.05)))[0]:
            data, src = s.recvfrom(2048)
            agents[socks.index(s)].on_stun(data, src, False, time.monotonic_ns())
        for a in agents:
            if a.next_deadline() <= time.monotonic_ns():
                a.on_timeout(time.monotonic_ns())
    done = reached()
    for s in socks:
        s.close()
    return done


@pytest.mark.parametrize("goal", ["selected", "completed"])
def test_siperb_ice_connect_on_loopback(benchmark: Any, goal: str) -> None:
    """Start to selected / completed over 100 connections (aioice's connect() is measured
    with aiortc in the WebRTC benchmarks)."""
    assert _connect_on_loopback(goal)
    benchmark.pedantic(_connect_on_loopback, args=(goal,), rounds=100, iterations=1)
