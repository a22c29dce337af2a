"""Opus under CPU pressure: the engine's CPU governor (csrc/media/cpu_governor.*) against the
same engine with it off, in the same run, and what each Opus complexity costs a call.

(1) Capacity: CALLS Opus calls (two sessions each, loopback pairs of plain RTP, complexity 5
as the ceiling, speech-like audio from a different point per leg) on a two-thread engine under
normal scheduling: the governor on (per-session levels) with the decode rate chosen by the
engine (these sessions have no sink: 8 kHz), on with 48 kHz decoders, and off, each in its own
process: late ticks (and those mostly wake-up latency), frames concealed at the receivers (and
packets that arrived too late) over the measured window (after a settling second), the same
since the first call started, CPU, the levels the sessions ended at.

(2) Quality per governor level: the Harvard sentences synthesised by flite
(bench_jitter_replay's helper, at flite's 16 kHz: wide band, so that the band caps show; resampled
to 48 kHz as the engine's encoder takes it),
encoded by libopus with the engine's settings (VoIP, mono, default bitrate) at each level:
complexity 0-10, and below 0 complexity 0 with the band capped (-1 wide, -2 medium, -3 narrow),
decoded, and scored with PESQ (P.862, narrow band at 8 kHz, and P.862.2 wide band at 16 kHz)
against the source; with the bitrate, the encoder's CPU per 20 ms frame and the decoder's at
48 and at 16 kHz.

``python benchmarks/bench_opus_governor.py [calls] [seconds] [--all]`` (default 150 calls, 10 s)
prints the capacity table, the sessions per level with the mean PESQ a call lost, and the
quality table (``--all``: the CPU per packet at pinned levels too; ``timeline CALLS SECONDS``:
the governor-on run second by second); ``make bench`` runs a short
pass (CALLS_OPUS_GOV calls, default 60, for 4 s).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # spinning BLAS threads would be charged

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_jitter_replay import speech
from bench_media import _cpu, _params
from siperb import media
from siperb._core import resample
from siperb.media.codecs.opus import OpusDecoder, OpusEncoder
from siperb.media.codecs.signals import speech_like

CEILING = 5  # the engine's default opus_complexity
LOWEST = -3  # the governor's lowest level (csrc/media/cpu_governor.hpp: kLowestLevel)
BAND_AT = {-1: 8000, -2: 6000, -3: 4000}  # Hz: the encoder's band cap below level 0
LEVEL_OF_BAND = {v: k for k, v in BAND_AT.items()}


def session_level(st: Any) -> int:
    """The governor's level a session's encoder runs at (its complexity, or below 0 its band)."""
    return int(LEVEL_OF_BAND.get(st.opus_band_hz, st.opus_complexity))


# ---- (1) capacity, governor off vs on ----


def measure_capacity(
    calls: int,
    seconds: float,
    governor: bool,
    realtime_priority: int = 0,
    decode_rate: int = 0,
    level: int = CEILING,
) -> dict[str, Any]:
    engine = media.Engine(threads=2, cpu_governor=governor, realtime_priority=realtime_priority)
    signal = speech_like(4.0, 48000, seed=5)
    shifts = np.random.default_rng(11).integers(0, len(signal), 2 * calls)
    sessions: list[media.MediaSession] = []
    start = time.monotonic()
    for i in range(calls):
        a = engine.session(opus_complexity=level, opus_decode_rate=decode_rate)
        b = engine.session(opus_complexity=level, opus_decode_rate=decode_rate)
        a.set_source(media.MemorySource(np.roll(signal, shifts[2 * i]), 48000, loop=True))
        b.set_source(media.MemorySource(np.roll(signal, shifts[2 * i + 1]), 48000, loop=True))
        a.start(_params("opus", b.local_port))
        b.start(_params("opus", a.local_port))
        sessions += [a, b]
    setup_s = time.monotonic() - start
    # jitter buffers settle and the governor finds its level (OPUS_GOV_SETTLE seconds)
    time.sleep(float(os.environ.get("OPUS_GOV_SETTLE", "1")))
    e0, c0, t0 = engine.stats(), _cpu(), time.monotonic()
    s0 = [s.stats() for s in sessions]
    time.sleep(seconds)
    e1, c1, t1 = engine.stats(), _cpu(), time.monotonic()
    s1 = [s.stats() for s in sessions]
    engine.stop()
    pairs = list(zip(s0, s1, strict=True))
    wall = t1 - t0
    received = sum(y.packets_received - x.packets_received for x, y in pairs)
    levels = Counter(session_level(y) for y in s1)
    rates = Counter(y.decode_rate for y in s1)
    return {
        "impl": "siperb governor " + ("on" if governor else "off"),
        "decode_rate": decode_rate,
        "realtime_threads": e1["realtime_threads"],
        "calls": calls,
        "setup_s": round(setup_s, 1),
        "cpu_pct": round(100 * (c1 - c0) / wall, 1),
        "cpu_us_per_packet": round(1e6 * (c1 - c0) / max(received, 1), 1),
        "level": level,
        "received_pct_of_expected": round(100 * received / (2 * calls * wall * 50), 2),
        "late_ticks": e1["late_ticks"] - e0["late_ticks"],
        "late_ticks_woken": e1["late_ticks_woken"] - e0["late_ticks_woken"],
        "missed_ticks": e1["missed_ticks"] - e0["missed_ticks"],
        "concealed_frames": sum(y.frames_concealed - x.frames_concealed for x, y in pairs),
        "late_frames": sum(y.jb_late - x.jb_late for x, y in pairs),
        "lost_frames": sum(y.jb_lost - x.jb_lost for x, y in pairs),
        "sessions_concealing": sum(y.frames_concealed > x.frames_concealed for x, y in pairs),
        "decode_rates": dict(sorted(rates.items())),
        "load_1min": round(os.getloadavg()[0], 2),
        "late_ticks_since_start": e1["late_ticks"],
        "concealed_since_start": sum(y.frames_concealed for y in s1),
        "levels_end": dict(sorted(levels.items())),
        "level_end": e1["complexity_level"],
        "steps_down": e1["complexity_down"],
        "steps_up": e1["complexity_up"],
        "busy_pct_end": e1["busy_permille"] / 10,
    }


def _thread_cpu() -> dict[str, int]:
    """CPU clock ticks (user + system) of each thread of this process, from /proc."""
    out = {}
    for tid in os.listdir(f"/proc/{os.getpid()}/task"):
        with open(f"/proc/{os.getpid()}/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[tid] = int(fields[11]) + int(fields[12])
    return out


def timeline(calls: int, seconds: int) -> None:
    """The governor-on run second by second from setup: late ticks (wake-up latency), missed
    ticks, the two busiest threads' CPU (clock ticks of 1/100 s), the sessions per level and
    the frames concealed so far: when concealment happens, not only how much."""
    engine = media.Engine(threads=2)
    signal = speech_like(4.0, 48000, seed=5)
    shifts = np.random.default_rng(11).integers(0, len(signal), 2 * calls)
    sessions: list[media.MediaSession] = []
    t0 = time.monotonic()
    for i in range(calls):
        a, b = engine.session(opus_complexity=CEILING), engine.session(opus_complexity=CEILING)
        a.set_source(media.MemorySource(np.roll(signal, shifts[2 * i]), 48000, loop=True))
        b.set_source(media.MemorySource(np.roll(signal, shifts[2 * i + 1]), 48000, loop=True))
        a.start(_params("opus", b.local_port))
        b.start(_params("opus", a.local_port))
        sessions += [a, b]
    prev, threads = engine.stats(), _thread_cpu()
    for _ in range(seconds):
        time.sleep(1.0)
        e, now = engine.stats(), _thread_cpu()
        hot = sorted((now[t] - threads.get(t, 0) for t in now), reverse=True)[:2]
        levels = Counter(session_level(s.stats()) for s in sessions)
        print(
            f"t={time.monotonic() - t0:5.1f} late={e['late_ticks'] - prev['late_ticks']}"
            f" (woken {e['late_ticks_woken'] - prev['late_ticks_woken']})"
            f" missed={e['missed_ticks'] - prev['missed_ticks']} threads={hot}"
            f" busy={e['busy_permille'] / 10}% levels={dict(sorted(levels.items()))}"
            f" concealed={sum(s.stats().frames_concealed for s in sessions)}",
            flush=True,
        )
        prev, threads = e, now
    engine.stop()


def capacity_in_subprocess(
    calls: int,
    seconds: float,
    governor: bool,
    realtime_priority: int = 0,
    decode_rate: int = 0,
    level: int = CEILING,
) -> dict[str, Any]:
    """Each run in a fresh process, as each deployment is (no heap or threads inherited)."""
    args = [str(calls), str(seconds), str(int(governor)), str(realtime_priority), str(decode_rate)]
    args.append(str(level))
    out = subprocess.run(
        [sys.executable, __file__, "capacity-one", *args],
        capture_output=True, text=True, check=True, timeout=600,
    ).stdout  # fmt: skip
    result: dict[str, Any] = ast.literal_eval(out.strip().splitlines()[-1])
    return result


def compare_capacity(calls: int, seconds: float) -> list[dict[str, Any]]:
    """The governor on with per-session levels and the decode rate left to the engine (these
    sessions have no sink: their decoders run at 8 kHz), then the same calls as before this
    session's defaults: governor on with 48 kHz decoders, and governor off."""
    return [
        capacity_in_subprocess(calls, seconds, True),
        capacity_in_subprocess(calls, seconds, True, decode_rate=48000),
        capacity_in_subprocess(calls, seconds, False, decode_rate=48000),
    ]


def level_cost(rows: list[dict[str, Any]], quality: list[dict[str, Any]]) -> str:
    """Each capacity run's sessions by level at its end, and the mean wide-band PESQ a call
    lost against its ceiling (level 5) by the quality table of the same run."""
    pesq = {q["level"]: q["pesq_wb"] for q in quality}
    lines = [
        "| governor | decode kHz | sessions per level at the end | mean PESQ WB"
        " | mean cost vs level 5 | sessions below -2 |",
        "|---|---|---|---:|---:|---:|",
    ]
    for r in rows:
        levels: dict[int, int] = r["levels_end"]
        n = sum(levels.values())
        mean = sum(pesq[lv] * k for lv, k in levels.items()) / n
        rate = "auto" if r["decode_rate"] == 0 else str(r["decode_rate"] // 1000)
        lines.append(
            f"| {r['impl'].rsplit(' ', 1)[1]} | {rate} | "
            + ", ".join(f"{lv}: {k}" for lv, k in levels.items())
            + f" | {mean:.2f} | {pesq[CEILING] - mean:.2f}"
            f" | {sum(k for lv, k in levels.items() if lv < -2)} |"
        )
    return "\n".join(lines)


def cost_per_level(calls: int = 40, seconds: float = 5.0) -> list[dict[str, Any]]:
    """The engine's CPU per packet (encode, send, receive, decode, playout) with every session
    pinned at one level (governor off), at a load that fits: what a call costs at each level,
    robust to a shared machine because it is CPU time, not lateness."""
    return [
        capacity_in_subprocess(calls, seconds, False, decode_rate=rate, level=level)
        for level, rate in ((5, 48000), (0, 48000), (-1, 48000), (-1, 16000), (-3, 16000))
    ]


def format_cost(rows: list[dict[str, Any]]) -> str:
    base = rows[0]["cpu_us_per_packet"]
    lines = [
        "| level | decode kHz | CPU µs per packet | vs level 5 | cores for 150 calls |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        us = r["cpu_us_per_packet"]
        cores = us * 1e-6 * 150 * 2 * 50
        lines.append(
            f"| {r['level']} | {r['decode_rate'] // 1000} | {us:.1f} | {us / base:.2f}x"
            f" | {cores:.2f} |"
        )
    return "\n".join(lines)


# ---- (2) quality and encoder CPU per complexity ----


def quality_table(seconds: int = 20) -> list[dict[str, Any]]:
    from pesq import pesq  # test/bench-only dependency

    ref16 = speech(seconds, 16000).astype(np.float32)  # flite's voices speak at 16 kHz
    ref8 = np.asarray(resample(ref16.astype(np.int16), 16000, 8000), dtype=np.int16)
    src = np.asarray(resample(ref16.astype(np.int16), 16000, 48000), dtype=np.int16)
    frame = 960  # 20 ms at 48 kHz
    frames = [src[k : k + frame] for k in range(0, len(src) - frame + 1, frame)]
    rows = []
    for level in range(LOWEST, 11):
        enc = OpusEncoder(48000, 1, "voip", complexity=max(level, 0))
        enc.max_bandwidth = BAND_AT[level] if level < 0 else 20000
        t0 = time.process_time()
        packets = [enc.encode(f) for f in frames]
        cpu = time.process_time() - t0
        dec16 = OpusDecoder(16000, 1)
        t0 = time.process_time()
        for p in packets:
            dec16.decode(p)
        cpu16 = time.process_time() - t0
        dec = OpusDecoder(48000, 1)
        t0 = time.process_time()
        decoded = [dec.decode(p) for p in packets]
        cpu48 = time.process_time() - t0
        out = np.concatenate([np.asarray(d, dtype=np.int16) for d in decoded])
        deg16 = np.asarray(resample(out, 48000, 16000), dtype=np.float32)
        deg8 = np.asarray(resample(out, 48000, 8000), dtype=np.float32)
        n16, n8 = min(len(ref16), len(deg16)), min(len(ref8), len(deg8))
        rows.append(
            {
                "level": level,
                "complexity": max(level, 0),
                "band_hz": BAND_AT[level] if level < 0 else 20000,
                "pesq_wb": round(float(pesq(16000, ref16[:n16], deg16[:n16], "wb")), 2),
                "pesq_nb": round(
                    float(pesq(8000, ref8[:n8].astype(np.float32), deg8[:n8], "nb")), 2
                ),
                "kbps": round(sum(len(p) for p in packets) * 8 / (len(packets) * 20), 1),
                "encode_us_per_frame": round(1e6 * cpu / len(packets), 1),
                "decode48_us_per_frame": round(1e6 * cpu48 / len(packets), 1),
                "decode16_us_per_frame": round(1e6 * cpu16 / len(packets), 1),
            }
        )
    return rows


def format_quality(rows: list[dict[str, Any]]) -> str:
    base = next(r for r in rows if r["level"] == CEILING)
    lines = [
        "| level | complexity / band | PESQ WB | PESQ NB | kbit/s | encode µs/frame"
        " | encode CPU vs 5 | decode µs/frame at 48 / 16 kHz |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = r["encode_us_per_frame"] / base["encode_us_per_frame"]
        band = {20000: "full", 8000: "wide", 6000: "medium", 4000: "narrow"}[r["band_hz"]]
        lines.append(
            f"| {r['level']} | {r['complexity']} / {band} | {r['pesq_wb']:.2f}"
            f" | {r['pesq_nb']:.2f} | {r['kbps']:.1f} | {r['encode_us_per_frame']:.1f}"
            f" | {ratio:.2f}x | {r['decode48_us_per_frame']:.1f}"
            f" / {r['decode16_us_per_frame']:.1f} |"
        )
    return "\n".join(lines)


def format_capacity(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| governor | decode kHz | calls | load | packets received % | late ticks (woken)"
        " | missed ticks | concealed (late packets) in sessions | since start: late ticks"
        " / concealed | CPU % | lowest level |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rate = ", ".join(f"{k // 1000}: {v}" for k, v in r["decode_rates"].items())
        lines.append(
            f"| {r['impl'].rsplit(' ', 1)[1]} | {rate} | {r['calls']} | {r['load_1min']:.1f}"
            f" | {r['received_pct_of_expected']:.1f}"
            f" | {r['late_ticks']} ({r['late_ticks_woken']}) | {r['missed_ticks']}"
            f" | {r['concealed_frames']} ({r['late_frames']}) in {r['sessions_concealing']}"
            f" | {r['late_ticks_since_start']} / {r['concealed_since_start']}"
            f" | {r['cpu_pct']:.0f} | {r['level_end']} |"
        )
    return "\n".join(lines)


# ---- pytest-benchmark entry points (make bench) ----


def test_opus_governor_capacity(benchmark: Any) -> None:
    rows: list[dict[str, Any]] = []
    benchmark.group = "opus under cpu pressure"
    benchmark.extra_info["impl"] = "siperb"
    calls = int(os.environ.get("CALLS_OPUS_GOV", "60"))
    benchmark.pedantic(lambda: rows.extend(compare_capacity(calls, 4.0)), rounds=1, iterations=1)
    benchmark.extra_info["results"] = rows
    print("\n" + format_capacity(rows))


def test_opus_quality_per_complexity(benchmark: Any) -> None:
    rows: list[dict[str, Any]] = []
    benchmark.group = "opus quality per complexity"
    benchmark.extra_info["impl"] = "siperb"
    benchmark.pedantic(lambda: rows.extend(quality_table(10)), rounds=1, iterations=1)
    benchmark.extra_info["results"] = rows
    print("\n" + format_quality(rows))


def main() -> None:
    if len(sys.argv) == 8 and sys.argv[1] == "capacity-one":
        calls, seconds, governor = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1"
        rt, rate, level = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
        print(repr(measure_capacity(calls, seconds, governor, rt, rate, level)))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "timeline":
        timeline(int(sys.argv[2]), int(sys.argv[3]))
        return
    args = [a for a in sys.argv[1:] if a != "--all"]
    calls = int(args[0]) if args else 150
    seconds = float(args[1]) if len(args) > 1 else 10.0
    rows = compare_capacity(calls, seconds)
    for r in rows:
        print(r, flush=True)
    print(format_capacity(rows))
    quality = quality_table()
    print()
    print(level_cost(rows, quality))
    if "--all" in sys.argv:
        print()
        print(format_cost(cost_per_level()))
    print()
    print(format_quality(quality))


if __name__ == "__main__":
    main()
