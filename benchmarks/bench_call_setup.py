"""Call setup rate: calls per second one Python process sets up and tears down
(INVITE/200/ACK/BYE/200) through a real Kamailio against a SIPp UAS, N at a time.

siperb's UserAgent against pyVoIP (the pure-Python phone a user would pick instead). pyVoIP 1.6
can only dial numbers at the server it registered to and gives each call its own RTP threads;
it is measured on the same path where it can, otherwise the output says why.

Run: ``PYTHONPATH=python:tests .venv/bin/python benchmarks/bench_call_setup.py [calls] [conc...]``
or through pytest (``pytest benchmarks/bench_call_setup.py -s``).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from peers.kamailio import Kamailio, start_kamailio
from peers.sipp import UAS_ANSWER, Sipp
from siperb.media import SdpOnlyMedia
from siperb.sip.session import CallState, Outcome
from siperb.sip.transaction import Timers
from siperb.sip.useragent import UserAgent, UserAgentConfig

CALLS = 1000
CONCURRENCY = (1, 4, 10, 50)


async def siperb_rate(
    kam: Kamailio, sipp_host: str, calls: int, concurrency: int
) -> tuple[float, int]:
    """(calls per second, failed calls) for ``calls`` calls, ``concurrency`` at a time."""
    # A From outside Kamailio's domain: the proxy relays without a 407 round trip.
    ua = UserAgent(UserAgentConfig(aor="sip:bench@bench.invalid", proxy=kam.uri("udp"),
                                   timers=Timers()))  # fmt: skip
    await ua.start(register=False)
    media = [SdpOnlyMedia() for _ in range(concurrency)]  # ports reserved once, reused
    for m in media:
        m.close = lambda: None  # type: ignore[method-assign]
    done = failed = started = 0

    async def worker(i: int) -> None:
        nonlocal done, failed, started
        while started < calls:  # SIPp takes exactly `calls` calls, then exits
            started += 1
            media[i].local = None
            call = await ua.call(f"sip:service@{sipp_host}", media=media[i])
            await call.wait_for(CallState.ESTABLISHED, timeout=10)
            if call.state is not CallState.ESTABLISHED:
                failed += 1
                print(f"call failed: {call.status} {call.reason}")
                continue
            await call.hangup()
            if call.outcome is Outcome.COMPLETED:
                done += 1
            else:
                failed += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - t0
    await ua.close()
    if failed:
        print(f"siperb: {failed} calls failed")
    return done / elapsed, failed


def pyvoip_note() -> str:
    try:
        import pyVoIP  # noqa: F401
    except ImportError:
        return "pyVoIP not installed"
    return (
        "pyVoIP 1.6: not measured. VoIPPhone must REGISTER and can only dial "
        "sip:<number>@<its registrar>; each call starts RTP threads and a 'call' is driven "
        "by blocking polling of call.state, so it cannot place calls to a SIPp UAS through "
        "the proxy (its INVITE is never sent to a foreign host), and it has no concurrent-"
        "call API beyond threads."
    )


def main(calls: int = CALLS, concurrency: tuple[int, ...] = CONCURRENCY) -> dict[int, float]:
    """One Kamailio; a fresh SIPp UAS (``-m calls``) for each concurrency level."""
    rates: dict[int, float] = {}
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        # 64 MB of shm (the tests' size) runs out at ~500 calls/s: tm keeps each INVITE and
        # BYE transaction 5 s after it ends, and Kamailio then answers 500 (out of memory).
        kam = start_kamailio(Path(tmp) / "kam", ipv6=False, shm_mb=512)
        try:
            for n in concurrency:
                sipp = Sipp(Path(tmp) / f"sipp-{n}", UAS_ANSWER, calls=calls, timeout_s=120,
                            extra=["-max_recv_loops", "10000", "-l", "5000"])  # fmt: skip
                try:
                    sipp.wait_listening()
                    rates[n], failed = asyncio.run(siperb_rate(kam, sipp.uri_host, calls, n))
                    failures += failed
                finally:
                    sipp.stop()
                print(f"siperb UserAgent: {rates[n]:.0f} calls/s ({calls} calls, {n} concurrent, "
                      "INVITE/200/ACK/BYE/200 through Kamailio to SIPp)")  # fmt: skip
        finally:
            kam.stop()
    print(pyvoip_note())
    if failures:
        raise AssertionError(f"{failures} calls failed")
    return rates


def test_call_setup_rate(benchmark: Any) -> None:
    import shutil

    import pytest

    if shutil.which("sipp") is None or shutil.which("kamailio", path="/usr/sbin:/usr/bin") is None:
        pytest.skip("needs kamailio and sipp")
    # Through the benchmark fixture (one round) so that `make bench` (--benchmark-only) runs it;
    # the rates per concurrency go into the saved JSON.
    benchmark.group = "call setup: 200 calls through Kamailio to SIPp"
    benchmark.extra_info["impl"] = "siperb"
    rates = benchmark.pedantic(main, args=(200, (4, 10)), rounds=1, iterations=1)
    benchmark.extra_info["calls_per_second"] = {str(n): round(r, 1) for n, r in rates.items()}
    assert all(rate > 0 for rate in rates.values())


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else CALLS
    levels = tuple(int(a) for a in sys.argv[2:]) or CONCURRENCY
    main(n, levels)
