"""Media engine benchmarks: added latency, memory per session, and call capacity, with the
capacity compared in the same run against a Python-per-packet path (an asyncio
DatagramProtocol that receives, decodes and re-encodes G.711 with audioop).

Run ``python benchmarks/bench_media.py`` for the report, or ``make bench``. Each part is
bounded (well under 60 s on a 2-core machine). ``python benchmarks/bench_media.py batch`` is
the batching comparison alone: G.711 CPU per packet with the engine's io_uring send and receive
batches and connected sockets, the same without connecting (SIPERB_CONNECT_PEER=off), with the
send batch only (SIPERB_RECV_BATCH=off: recvmmsg per session), without either
(SIPERB_SEND_BATCH=off: one sendto and one recvmmsg per packet) and in the Python loop with
unconnected and with connected sockets, in one run, then 1,000 calls (2,000 sessions) on two
engine threads under normal and real-time scheduling.

Fairness: the Python loop has as many sockets as the engine (one per leg; the engine's RTCP
sockets carry a report every 5 s), each leg sends one 172-byte G.711 packet every 20 ms to its
far leg in the same process and reads every packet it is sent, as the engine does; both figures
are the whole process's CPU over the packets received in the same window. The engine connects a
socket once its peer is settled (csrc/media/rtp_transport.hpp), so the Python loop is measured
both ways: "connected" connect()s each leg to its far leg and sends without an address (the
cheaper kernel path a Python user can take too), the plain one sends with sendto. The engine
also runs what the Python loop leaves out (jitter buffer, PLC, RTCP, statistics): that is work a
user of the engine gets, not skipped here.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import resource
import socket
import struct
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

# OpenBLAS worker threads spin after numpy work and their CPU would be charged to the engine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from siperb import media
from siperb.media.codecs.signals import speech_like

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

CODECS = {"PCMU": (0, 8000), "PCMA": (8, 8000), "opus": (111, 48000)}


def _params(codec: str, port: int, **kw: Any) -> media.StreamParams:
    pt, rate = CODECS[codec]
    return media.StreamParams(
        codec=codec, clock_rate=rate, payload_type=pt, local_payload_type=pt,
        remote_address="127.0.0.1", remote_port=port, **kw,
    )  # fmt: skip


# ---- (1) added latency ----


def measure_latency(engine: media.Engine, codec: str, ptime: int = 20) -> dict[str, float]:
    """Onset of a tone after 3 s of silence, from A's source to B's sink, in ms."""
    _, rate = CODECS[codec]
    silence, onset_s = 3.0, 3.0
    signal = np.concatenate(
        [np.zeros(int(silence * rate), np.int16), media.tone(1000, 1.0, rate, 12000)]
    )
    onset = int(onset_s * rate)
    a = engine.session()
    b = engine.session()
    sink = media.MemorySink(rate, rate * 6)
    b.set_sink(sink)
    b.start(_params(codec, a.local_port, ptime=ptime, direction="recvonly"))
    tb = time.monotonic()
    a.set_source(media.MemorySource(signal, rate))
    a.start(_params(codec, b.local_port, ptime=ptime, direction="sendonly"))
    ta = time.monotonic()
    time.sleep(silence + 0.6)
    stats = b.stats()
    a.close()
    b.close()
    got = sink.samples().astype(np.int32)
    j = int(np.argmax(np.abs(got) > 3000))  # first loud sample at the sink
    latency = (tb - ta) + (j - onset) / rate
    return {
        "latency_ms": latency * 1000,
        "goal_ms": ptime + stats.jb_target_ms + 2,
        "jb_target_ms": stats.jb_target_ms,
        "jb_delay_ms": stats.jb_delay_ms,
    }


# ---- (2) memory ----


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (n, ctypes.c_size_t)
        for n in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _heap_bytes() -> int:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return int(info.uordblks + info.hblkhd)


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def measure_memory(engine: media.Engine, codec: str, n: int = 100) -> float:
    """Native heap bytes per running session (mallinfo2 delta over n live sessions)."""
    before = _heap_bytes()
    sessions = [engine.session() for _ in range(n)]
    for s in sessions:
        s.start(_params(codec, 9, direction="recvonly"))
    time.sleep(0.3)
    per = (_heap_bytes() - before) / n
    for s in sessions:
        s.close()
    return per


def measure_churn(engine: media.Engine, total: int = 10000) -> dict[str, float]:
    """RSS over `total` sessions created, started and closed one after another."""
    marks = []
    for i in range(total):
        s = engine.session()
        s.start(_params("PCMU", 9, direction="recvonly"))
        s.close()
        if i in (total // 10, total - 1):
            marks.append(_rss_kib())
    return {"rss_after_10pct_kib": marks[0], "rss_end_kib": marks[1],
            "growth_pct": 100.0 * (marks[1] - marks[0]) / marks[0]}  # fmt: skip


# ---- (3) capacity ----


def _steal_ms() -> float:
    """CPU time the hypervisor took from this virtual machine (the steal column of /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _raise_fd_limit(needed: int) -> None:
    """Two sockets per session: 1,000 calls need 4,000 descriptors, past a default 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def measure_native_capacity(
    codec: str, calls: int, seconds: float = 8.0, threads: int = 2, realtime_priority: int = 0
) -> dict[str, Any]:
    _raise_fd_limit(4 * calls + 256)
    engine = media.Engine(threads=threads, realtime_priority=realtime_priority)
    _, rate = CODECS[codec]
    signal = speech_like(4.0, rate, seed=5)
    # Each leg talks from its own point in the signal, as different callers do: encoders all
    # hitting the same onset at the same moment would be a load no real set of calls makes.
    shifts = np.random.default_rng(11).integers(0, len(signal), 2 * calls)
    sessions = []
    for i in range(calls):
        a = engine.session(opus_complexity=5)
        b = engine.session(opus_complexity=5)
        a.set_source(media.MemorySource(np.roll(signal, shifts[2 * i]), rate, loop=True))
        b.set_source(media.MemorySource(np.roll(signal, shifts[2 * i + 1]), rate, loop=True))
        a.start(_params(codec, b.local_port))
        b.start(_params(codec, a.local_port))
        sessions += [a, b]
    time.sleep(1.0)  # jitter buffers settle
    e0, c0, t0, st0 = engine.stats(), _cpu(), time.monotonic(), _steal_ms()
    s0 = [s.stats() for s in sessions]
    time.sleep(seconds)
    e1, c1, t1, st1 = engine.stats(), _cpu(), time.monotonic(), _steal_ms()
    s1 = [s.stats() for s in sessions]
    engine.stop()
    wall = t1 - t0
    sent = sum(y.packets_sent - x.packets_sent for x, y in zip(s0, s1, strict=True))
    received = sum(y.packets_received - x.packets_received for x, y in zip(s0, s1, strict=True))
    concealed = sum(y.frames_concealed - x.frames_concealed for x, y in zip(s0, s1, strict=True))
    # Frames that reached their receiver after their playout time (the receiving side's view).
    late_frames = sum(y.jb_late - x.jb_late for x, y in zip(s0, s1, strict=True))
    stretched = sum(
        y.accelerated + y.decelerated - x.accelerated - x.decelerated
        for x, y in zip(s0, s1, strict=True)
    )
    expected = 2 * calls * wall * 50
    batched = e1["batched_packets"] - e0["batched_packets"]
    batch = " batched" if batched else ""
    batch += " recv-batched" if e1["batched_reads"] > e0["batched_reads"] else ""
    batch += " unconnected" if os.environ.get("SIPERB_CONNECT_PEER") == "off" else ""
    return {
        "impl": "siperb" + batch + (" realtime" if e1["realtime_threads"] else ""),
        "calls": calls,
        "cpu_pct_per_call": 100 * (c1 - c0) / wall / calls,
        "cpu_us_per_packet": 1e6 * (c1 - c0) / max(received, 1),
        "sent_pct_of_expected": 100 * sent / expected,
        "received_pct_of_sent": 100 * received / max(sent, 1),
        "late_ticks": e1["late_ticks"] - e0["late_ticks"],
        "missed_ticks": e1["missed_ticks"] - e0["missed_ticks"],
        "concealed_frames": concealed,
        "late_frames": late_frames,
        "stretched_frames": stretched,
        "wakeups_per_packet": (e1["wakeups"] - e0["wakeups"]) / max(received, 1),
        # Packets per send system call (the io_uring batch; 1.0 when each packet is a sendto).
        "packets_per_send_call": batched / max(e1["send_submits"] - e0["send_submits"], 1)
        if batched
        else 1.0,
        # Datagrams read through the ring per submission (0: every read was a recvmmsg).
        "reads_per_recv_call": (e1["batched_reads"] - e0["batched_reads"])
        / max(e1["recv_submits"] - e0["recv_submits"], 1),
        "host_steal_ms": st1 - st0,
    }


class _PyEndpoint(asyncio.DatagramProtocol):
    """One leg in Python: per packet parse, ulaw2lin, lin2ulaw (as a Python media path would)."""

    def __init__(self) -> None:
        self.received = 0
        self.transport: Any = None
        self.seq = 0
        self.ts = 0
        self.pcm = speech_like(0.02, 8000, seed=1).tobytes()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        _v, _pt, _seq, _ts, _ssrc = struct.unpack_from("!BBHII", data)
        pcm = audioop.ulaw2lin(data[12:], 2)
        audioop.lin2ulaw(pcm, 2)  # what a recorder/bridge would do with it
        self.received += 1

    def send(self, peer: tuple[str, int] | None) -> None:
        payload = audioop.lin2ulaw(self.pcm, 2)
        header = struct.pack("!BBHII", 0x80, 0, self.seq & 0xFFFF, self.ts & 0xFFFFFFFF, 1)
        self.seq += 1
        self.ts += 160
        self.transport.sendto(header + payload, peer)


async def _python_capacity(calls: int, seconds: float, connected: bool = False) -> dict[str, Any]:
    """connected: each leg's socket is connect()ed to its far leg and sends without an address,
    as the engine's sockets are once their peer is settled (the kernel keeps the route)."""
    loop = asyncio.get_running_loop()
    socks = []
    for _ in range(2 * calls):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        socks.append(sock)
    legs = []
    for i, sock in enumerate(socks):
        if connected:
            sock.connect(socks[i ^ 1].getsockname())
        _tr, proto = await loop.create_datagram_endpoint(_PyEndpoint, sock=sock)
        legs.append((proto, sock.getsockname()[:2]))
    peers = [(legs[i][0], None if connected else legs[i ^ 1][1]) for i in range(len(legs))]
    late = 0
    ticks = 0
    start = loop.time()
    c0 = _cpu()
    deadline = start
    while loop.time() - start < seconds:
        deadline += 0.02
        for proto, peer in peers:
            proto.send(peer)
        ticks += 1
        delay = deadline - loop.time()
        if delay < -0.005:
            late += 1
        await asyncio.sleep(max(0.0, delay))
    wall = loop.time() - start
    c1 = _cpu()
    received = sum(p.received for p, _ in peers)
    sent = ticks * len(peers)
    for p, _ in peers:
        p.transport.close()
    return {
        "impl": "python asyncio+audioop" + (" connected" if connected else ""),
        "calls": calls,
        "cpu_pct_per_call": 100 * (c1 - c0) / wall / calls,
        "cpu_us_per_packet": 1e6 * (c1 - c0) / max(received, 1),
        "sent_pct_of_expected": 100 * sent / (2 * calls * wall * 50),
        "received_pct_of_sent": 100 * received / max(sent, 1),
        "late_ticks": late,
        "missed_ticks": 0,
        "concealed_frames": -1,
    }


def measure_python_capacity(
    calls: int, seconds: float = 6.0, realtime_priority: int = 0, connected: bool = False
) -> dict[str, Any]:
    rt = False
    if realtime_priority > 0:  # as the engine's threads get it: a like-for-like comparison
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(realtime_priority))
            rt = True
        except OSError:
            pass
    r = asyncio.run(_python_capacity(calls, seconds, connected))
    r["impl"] += " realtime" if rt else ""
    return r


# ---- pytest-benchmark entry points (one round each: these are wall-clock processes) ----


def test_media_latency(benchmark: Any) -> None:
    engine = media.Engine()
    results = {}

    def run() -> None:
        for codec in CODECS:
            results[codec] = measure_latency(engine, codec)

    benchmark.group = "media latency"
    benchmark.extra_info["impl"] = "siperb"
    benchmark.pedantic(run, rounds=1, iterations=1)
    engine.stop()
    benchmark.extra_info.update(results)
    for codec, r in results.items():
        print(f"\n{codec}: {r}")


def test_media_memory(benchmark: Any) -> None:
    engine = media.Engine()
    results: dict[str, Any] = {}

    def run() -> None:
        results["pcmu_bytes"] = measure_memory(engine, "PCMU")
        results["opus_bytes"] = measure_memory(engine, "opus")
        results.update(measure_churn(engine))

    benchmark.group = "media memory"
    benchmark.extra_info["impl"] = "siperb"
    benchmark.pedantic(run, rounds=1, iterations=1)
    engine.stop()
    benchmark.extra_info.update(results)
    print(f"\n{results}")


def test_media_capacity(benchmark: Any) -> None:
    results: list[dict[str, Any]] = []

    def run() -> None:
        results.extend(measure_batching())
        results.append(_capacity_in_subprocess("opus", 100, 0))
        results.append(_capacity_in_subprocess("opus", 100, 10))

    benchmark.group = "media capacity"
    benchmark.extra_info["impl"] = "siperb"
    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["results"] = results
    for r in results:
        print(f"\n{r}")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "capacity-one":  # one run, for _capacity_in_subprocess
        codec, n, rt = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        r = (
            measure_python_capacity(n, realtime_priority=rt, connected=codec == "python-connected")
            if codec.startswith("python")
            else measure_native_capacity(codec, n, realtime_priority=rt)
        )
        print(repr(r))
        return
    which = set(sys.argv[1:]) or {"latency", "memory", "capacity"}
    if "batch" in which:
        calls = int(os.environ.get("CALLS_G711", "500"))
        big, rt = int(os.environ.get("CALLS_BIG", "1000")), int(os.environ.get("RT", "0"))
        for r in measure_batching(calls, big, rt):
            print(f"{r['impl']} {r['calls']} calls: {r}")
        return
    if "latency" in which:
        engine = media.Engine()
        for codec in CODECS:
            print(f"latency {codec}: {measure_latency(engine, codec)}")
        engine.stop()
    if "memory" in which:
        engine = media.Engine()
        print(f"memory PCMU bytes/session: {measure_memory(engine, 'PCMU'):.0f}")
        print(f"memory opus bytes/session: {measure_memory(engine, 'opus'):.0f}")
        t = time.monotonic()
        print(f"churn 10000 sessions: {measure_churn(engine)} in {time.monotonic() - t:.1f}s")
        engine.stop()
    if "capacity" in which:
        # Each run in a fresh process, as each deployment is (and none inherits another's heap).
        calls = int(os.environ.get("CALLS_G711", "500"))
        opus_calls = int(os.environ.get("CALLS_OPUS", "100"))
        native = _capacity_in_subprocess("PCMU", calls, 0)
        python = _capacity_in_subprocess("python", calls, 0)
        print(f"capacity G.711 siperb: {native}")
        print(f"capacity G.711 python: {python}")
        ratio = python["cpu_us_per_packet"] / native["cpu_us_per_packet"]
        print(f"  CPU per packet python/siperb: {ratio:.2f}x")
        for rt in (0, 10):  # normal scheduling, then SCHED_FIFO engine threads (when permitted)
            r = _capacity_in_subprocess("opus", opus_calls, rt)
            print(f"capacity opus {r['impl']}: {r}")


def measure_batching(calls: int = 500, big: int = 1000, rt: int = 0) -> list[dict[str, Any]]:
    """G.711 at `calls` calls with both batches, the send batch only, neither and in Python, one
    after another in this run (``cpu_us_per_packet`` of each, and the ratios in
    ``python_over_siperb``), then `big` calls on two engine threads under normal and SCHED_FIFO
    scheduling (late ticks, concealed and late frames). rt > 0 runs the four comparison runs
    (Python included) at that SCHED_FIFO priority: on a machine loaded by others, threads that
    get no CPU fall behind and their catch-up ticks make CPU per packet meaningless."""
    runs = [
        _capacity_in_subprocess("PCMU", calls, rt),
        _capacity_in_subprocess("PCMU", calls, rt, connect=False),
        _capacity_in_subprocess("PCMU", calls, rt, recv_batch=False),
        _capacity_in_subprocess("PCMU", calls, rt, batch=False),
        _capacity_in_subprocess("python", calls, rt),
        _capacity_in_subprocess("python-connected", calls, rt),
    ]
    python, python_connected = runs[4]["cpu_us_per_packet"], runs[5]["cpu_us_per_packet"]
    for r in runs[:4]:
        r["python_over_siperb"] = python / r["cpu_us_per_packet"]
        r["python_connected_over_siperb"] = python_connected / r["cpu_us_per_packet"]
    for prio in (0, 10) if big else ():
        try:
            runs.append(_capacity_in_subprocess("PCMU", big, prio))
        except subprocess.TimeoutExpired:  # threads starved by other load set up too slowly
            runs.append({"impl": "siperb", "calls": big, "rt": prio, "timed_out": True})
    return runs


def _capacity_in_subprocess(
    codec: str,
    calls: int,
    realtime_priority: int,
    batch: bool = True,
    recv_batch: bool = True,
    connect: bool = True,
) -> dict[str, Any]:
    import ast

    env = dict(
        os.environ,
        SIPERB_SEND_BATCH="on" if batch else "off",
        SIPERB_RECV_BATCH="on" if recv_batch else "off",
        SIPERB_CONNECT_PEER="on" if connect else "off",
    )
    out = subprocess.run(
        [sys.executable, __file__, "capacity-one", codec, str(calls), str(realtime_priority)],
        capture_output=True, text=True, check=True, timeout=300, env=env,
    ).stdout  # fmt: skip
    result: dict[str, Any] = ast.literal_eval(out.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    main()
