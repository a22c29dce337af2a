"""Fleet capacity: calls per core with audio, setup rate through Kamailio's dispatcher, memory
per call; the fleet (one worker per core) against one process (the alternative: a single
``siperb serve --workers 1``), both behind the same rendered Kamailio, driven by SIPp.

- **audio** (first, on fresh workers): ``AUDIO_CALLS`` concurrent G.711 (PCMU) calls of
  ``AUDIO_SECONDS`` each, RTP both ways (the handler plays a tone, SIPp echoes it back). CPU
  seconds per second of call comes from the workers' /metrics (``cpu_seconds_total`` and
  ``call_seconds_total`` read before and after); calls per core = 1 / that. Memory per call:
  the workers' RSS with every call up minus before the first call, divided by the calls.
- **setup**: then SIPp places ``SETUP_CALLS`` short calls (no audio, 100 ms each) as fast as
  the fleet takes them (``-r`` high, ``-l`` bounded); calls per second = calls / elapsed time.
- **projection**: hosts for 10,000 concurrent calls and 1,000 call setups per second, from
  those figures, with the assumptions printed next to it.

- **opus**: SIPp offers PCMU only, so Opus is measured between siperb processes: a campaign
  (``siperb serve --campaign``) calls a bot worker, ``AUDIO_CALLS`` at a time, a tone both
  ways; the bot's CPU per second of call and memory per call as above.

Run: ``PYTHONPATH=python:tests .venv/bin/python benchmarks/bench_fleet.py``
or ``pytest benchmarks/bench_fleet.py -s``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

from test_fleet import Fleet, start_fleet

from peers.ports import free_port
from peers.procs import ManagedProcess
from peers.sipp import UAC_CALL, Sipp

SETUP_CALLS = 300
AUDIO_CALLS = 40
AUDIO_SECONDS = 10
CORES = os.cpu_count() or 1

#: Assumptions of the projection (named in its output).
HEADROOM = 0.6  # use 60 % of a host's cores for calls: bursts, RTCP, GC, the OS
HOST_CORES = 16  # a worker host in the projection
KAMAILIO_CPS_PER_HOST = 5000  # what one Kamailio host routes (dispatcher, stateful), assumed


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _worker_pids(fleet: Fleet) -> list[int]:
    return list(fleet.pids().values())


def _totals(fleet: Fleet) -> tuple[float, float]:
    cpu = calls = 0.0
    for i in fleet.ready_workers():
        m = fleet.metrics(i)
        cpu += m["cpu_seconds_total"]
        calls += m["call_seconds_total"]
    return cpu, calls


def measure(workers: int, workdir: Path) -> dict[str, float]:
    fleet = start_fleet(workdir, history=str(workdir / "h.sqlite3"), workers=workers, max_calls=200)
    try:
        remote = f"127.0.0.1:{fleet.kam_port}"
        keys = {"domain": remote}
        time.sleep(2.0)
        # Audio first, on fresh workers: their RSS before any call vs with every call up
        # (first-use allocations included: an upper bound per call).
        idle_rss = sum(_rss_kb(p) for p in _worker_pids(fleet))
        cpu0, calls0 = _totals(fleet)
        audio = Sipp(
            workdir / "audio",
            UAC_CALL,
            remote=remote,
            service="bot",
            calls=AUDIO_CALLS,
            rate=50,
            pause_ms=AUDIO_SECONDS * 1000,
            timeout_s=120,
            keys=keys,
            extra=["-rtp_echo", "-l", str(AUDIO_CALLS)],
        )
        time.sleep(AUDIO_SECONDS / 2)
        loaded_rss = sum(_rss_kb(p) for p in _worker_pids(fleet))
        result = audio.wait(120)
        time.sleep(2.0)  # the call lines and counters of the last calls
        cpu1, calls1 = _totals(fleet)
        t0 = time.monotonic()
        setup = Sipp(
            workdir / "setup",
            UAC_CALL,
            remote=remote,
            service="bot",
            calls=SETUP_CALLS,
            rate=1000,
            pause_ms=100,
            timeout_s=120,
            keys=keys,
            extra=["-l", "50"],
        ).wait(180)
        elapsed = time.monotonic() - t0
        ok = setup.count("SuccessfulCall")
        cpu_per_call_s = (cpu1 - cpu0) / max(calls1 - calls0, 1e-9)
        return {
            "workers": workers,
            "setup_ok": ok,
            "setup_cps": ok / elapsed,
            "audio_ok": result.count("SuccessfulCall"),
            "cpu_per_call_second": cpu_per_call_s,
            "calls_per_core": 1.0 / cpu_per_call_s if cpu_per_call_s > 0 else 0.0,
            "memory_per_call_kb": (loaded_rss - idle_rss) / AUDIO_CALLS,
            "idle_rss_mb_per_worker": idle_rss / 1024 / workers,
        }
    finally:
        fleet.stop()


OPUS_APP = """
import asyncio
from siperb.media.audio import ToneSource

async def handle(call):
    if call.direction == "inbound":
        await call.answer()
    else:
        while await call.next_state(timeout=10) != "established":
            pass
    call.call.set_source(ToneSource(16000, [([440.0], 1000)]))  # speech-like load both ways
    if call.direction == "inbound":
        await call.wait_ended(timeout=120)
    else:
        await asyncio.sleep(SECONDS)
        await call.hangup()
"""


def measure_opus(workdir: Path) -> dict[str, float]:
    """Opus both ways: a campaign (one ``siperb serve --campaign``) calls a bot worker (another
    ``siperb serve``) ``AUDIO_CALLS`` at a time; the bot's CPU per second of call, from its
    /metrics before and after. Both are siperb: SIPp cannot speak Opus."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "opus_app.py").write_text(OPUS_APP.replace("SECONDS", str(AUDIO_SECONDS)))
    (workdir / "targets.txt").write_text(
        "".join(f"sip:bot{i}@127.0.0.1\n" for i in range(AUDIO_CALLS))
    )
    bot_port, caller_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "python")}
    cli = [sys.executable, "-m", "siperb", "serve", "opus_app:handle", "--app-dir", str(workdir)]
    bot = ManagedProcess(
        "bot",
        [
            *cli,
            "--workers",
            "1",
            "--listen",
            f"127.0.0.1:{bot_port}",
            "--proxy",
            "127.0.0.1:9",
            "--metrics-port",
            "0",
            "--max-calls",
            "200",
            "--history",
            str(workdir / "b.sqlite3"),
        ],
        workdir / "bot.log",
        env=env,
    )
    try:
        bot.wait_log('"worker_ready"', 60.0)
        ready = next(json.loads(x) for x in bot.log_text().splitlines() if '"worker_ready"' in x)
        url = f"http://127.0.0.1:{ready['metrics']}/metrics"

        def totals() -> tuple[float, float]:
            with urllib.request.urlopen(url, timeout=5) as r:
                text = r.read().decode()
            m = dict(re.findall(r"^siperb_serve_(\w+)\{[^}]*\} (\S+)$", text, re.M))
            return float(m["cpu_seconds_total"]), float(m["call_seconds_total"])

        time.sleep(2.0)
        pid = int(bot.log_text().split('"pid": ')[1].split(",")[0])
        idle_rss = _rss_kb(pid)
        cpu0, calls0 = totals()
        caller = subprocess.Popen(
            [
                *cli,
                "--workers",
                "1",
                "--listen",
                f"127.0.0.1:{caller_port}",
                "--proxy",
                f"127.0.0.1:{bot_port}",
                "--history",
                str(workdir / "a.sqlite3"),
                "--campaign",
                str(workdir / "targets.txt"),
                "--concurrency",
                str(AUDIO_CALLS),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        time.sleep(AUDIO_SECONDS / 2 + 3)
        loaded_rss = _rss_kb(pid)
        out, _ = caller.communicate(timeout=120)
        time.sleep(2.0)
        cpu1, calls1 = totals()
        lines = [json.loads(x) for x in out.decode().splitlines() if x.startswith("{")]
        answered = sum(1 for x in lines if x.get("event") == "call" and x["outcome"] == "answered")
    finally:
        bot.stop(timeout=30.0)
    per_call_s = (cpu1 - cpu0) / max(calls1 - calls0, 1e-9)
    return {
        "audio_ok": answered,
        "cpu_per_call_second": per_call_s,
        "calls_per_core": 1.0 / per_call_s if per_call_s > 0 else 0.0,
        "memory_per_call_kb": (loaded_rss - idle_rss) / AUDIO_CALLS,
    }


def projection(fleet: dict[str, float]) -> str:
    per_core = fleet["calls_per_core"]
    per_worker_cps = fleet["setup_cps"] / fleet["workers"]
    cores = 10_000 / per_core / HEADROOM if per_core else float("inf")
    hosts = cores / HOST_CORES
    setup_workers = 1000 / per_worker_cps if per_worker_cps else float("inf")
    return (
        f"projection (assumptions: {HOST_CORES}-core worker hosts used to {HEADROOM:.0%}, "
        f"one worker per core, G.711 calls like these, Kamailio routing "
        f"{KAMAILIO_CPS_PER_HOST} setups/s per host, setup rate scales with workers):\n"
        f"  10,000 concurrent calls: {per_core:.0f} calls per core -> {cores:.0f} cores "
        f"-> {hosts:.1f} worker hosts\n"
        f"  1,000 setups/s: {per_worker_cps:.0f} setups/s per worker -> {setup_workers:.0f} "
        f"workers ({setup_workers / HOST_CORES:.1f} hosts), "
        f"{1000 / KAMAILIO_CPS_PER_HOST:.1f} Kamailio hosts (2 for redundancy)"
    )


def run_all() -> tuple[dict[str, float], dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as d:
        one = measure(1, Path(d) / "one")
        fleet = measure(max(2, CORES), Path(d) / "fleet")
    for name, r in (("one process", one), (f"fleet ({fleet['workers']:.0f} workers)", fleet)):
        print(
            f"{name}: setup {r['setup_cps']:.0f} calls/s ({r['setup_ok']:.0f}/{SETUP_CALLS} ok); "
            f"audio {r['audio_ok']:.0f}/{AUDIO_CALLS} ok, {r['cpu_per_call_second'] * 1000:.1f} "
            f"ms CPU per call-second = {r['calls_per_core']:.0f} calls per core; "
            f"{r['memory_per_call_kb']:.0f} kB per call; idle worker "
            f"{r['idle_rss_mb_per_worker']:.0f} MB"
        )
    with tempfile.TemporaryDirectory(prefix="bench-fleet-opus-") as d:
        opus = measure_opus(Path(d))
    print(
        f"opus (siperb calling siperb): {opus['audio_ok']:.0f}/{AUDIO_CALLS} ok, "
        f"{opus['cpu_per_call_second'] * 1000:.1f} ms CPU per call-second = "
        f"{opus['calls_per_core']:.0f} calls per core; "
        f"{opus['memory_per_call_kb']:.0f} kB per call"
    )
    print(projection(fleet))
    print(
        projection({**fleet, "calls_per_core": opus["calls_per_core"]}).split("\n")[1] + " (Opus)"
    )
    return one, fleet


def test_fleet_capacity(benchmark: Any) -> None:
    benchmark.group = "fleet capacity"
    benchmark.extra_info["impl"] = "siperb"
    one, fleet = benchmark.pedantic(run_all, rounds=1, iterations=1)
    benchmark.extra_info.update({f"one_{k}": v for k, v in one.items()})
    benchmark.extra_info.update({f"fleet_{k}": v for k, v in fleet.items()})
    assert one["audio_ok"] == AUDIO_CALLS and fleet["audio_ok"] == AUDIO_CALLS


if __name__ == "__main__":
    run_all()
