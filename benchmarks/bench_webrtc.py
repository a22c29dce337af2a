"""WebRTC media benchmarks: how fast two engine sessions connect (ICE + DTLS on loopback,
median and p95), the CPU per packet of a WebRTC session against an SDES session in the same
run, and aiortc (what a Python user would pick for WebRTC) carrying the same audio.

Run ``python benchmarks/bench_webrtc.py`` for the report, or through pytest-benchmark. Each CPU
figure comes from its own subprocess (getrusage of that process over a fixed window divided by
the RTP packets received in it), so one implementation's threads are never charged to another.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from siperb import media
from siperb.media.codecs.signals import speech_like

RATE = 8000


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# codec -> StreamParams fields (Opus on PT 111 at 48 kHz, as WebRTC peers use it).
CODEC_FIELDS: dict[str, dict[str, Any]] = {
    "PCMU": {"codec": "PCMU"},
    "opus": {"codec": "opus", "clock_rate": 48000, "payload_type": 111, "local_payload_type": 111},
}


def _webrtc_params(
    remote: media.MediaSession, controlling: bool, setup: str, codec: str = "PCMU"
) -> media.StreamParams:
    return media.StreamParams(
        ice_ufrag=remote.ice_ufrag, ice_pwd=remote.ice_pwd,
        ice_candidates=remote.gather_candidates(), ice_controlling=controlling,
        dtls_setup=setup, dtls_fingerprint=remote.dtls_fingerprint, **CODEC_FIELDS[codec],
    )  # fmt: skip


def _connected(*sessions: media.MediaSession) -> bool:
    return all(
        s.dtls_state == "connected" and s.ice_state in ("connected", "completed") for s in sessions
    )


def _webrtc_pair(
    engine: media.Engine, codec: str = "PCMU", **config: Any
) -> tuple[media.MediaSession, media.MediaSession]:
    a = engine.session(webrtc=True, **config)
    b = engine.session(webrtc=True, **config)
    pa = _webrtc_params(b, True, "active", codec)
    pb = _webrtc_params(a, False, "passive", codec)
    a.start(pa)
    b.start(pb)
    return a, b


def _sdes_pair(
    engine: media.Engine, codec: str = "PCMU", **config: Any
) -> tuple[media.MediaSession, media.MediaSession]:
    suite = "AES_CM_128_HMAC_SHA1_80"
    ka, kb = media.random_srtp_key(suite), media.random_srtp_key(suite)
    a = engine.session(**config)
    b = engine.session(**config)
    common = dict(remote_address="127.0.0.1", srtp_suite=suite, **CODEC_FIELDS[codec])
    a.start(
        media.StreamParams(
            remote_port=b.local_port, srtp_local_key=ka, srtp_remote_key=kb, **common
        )
    )  # type: ignore[arg-type]
    b.start(
        media.StreamParams(
            remote_port=a.local_port, srtp_local_key=kb, srtp_remote_key=ka, **common
        )
    )  # type: ignore[arg-type]
    return a, b


# ---- (1) connect time ----


def measure_connect(n: int = 50) -> dict[str, float]:
    """From the second start() to both sessions ICE-connected and DTLS-connected, in ms."""
    engine = media.Engine()
    times = []
    for _ in range(n):
        a = engine.session(webrtc=True)
        b = engine.session(webrtc=True)
        pa = _webrtc_params(b, True, "active")
        pb = _webrtc_params(a, False, "passive")
        t0 = time.perf_counter()
        a.start(pa)
        b.start(pb)
        end = t0 + 10
        while not _connected(a, b) and time.perf_counter() < end:
            time.sleep(0.0005)
        if _connected(a, b):
            times.append((time.perf_counter() - t0) * 1000)
        a.close()
        b.close()
    engine.stop()
    times.sort()
    return {
        "sessions": n,
        "connected": len(times),
        "median_ms": statistics.median(times) if times else -1,
        "p95_ms": times[int(0.95 * (len(times) - 1))] if times else -1,
    }


# ---- (2) CPU per packet: WebRTC vs SDES (engine), and aiortc ----


def _engine_cpu(kind: str, calls: int, seconds: float) -> dict[str, Any]:
    engine = media.Engine(threads=1)
    sessions: list[media.MediaSession] = []
    for i in range(calls):
        a, b = _webrtc_pair(engine) if kind == "webrtc" else _sdes_pair(engine)
        for s, f in ((a, 440 + i), (b, 1000 + i)):
            s.set_source(media.MemorySource(media.tone(f, 2, RATE), RATE, loop=True))
            s.set_sink(media.MemorySink(RATE, RATE))
        sessions += [a, b]
    end = time.monotonic() + 20
    while kind == "webrtc" and not _connected(*sessions) and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(1.0)
    s0, c0, t0 = [s.stats() for s in sessions], _cpu(), time.monotonic()
    time.sleep(seconds)
    s1, c1, t1 = [s.stats() for s in sessions], _cpu(), time.monotonic()
    engine.stop()
    received = sum(y.packets_received - x.packets_received for x, y in zip(s0, s1, strict=True))
    return {
        "impl": f"siperb {kind}",
        "calls": calls,
        "packets_received": received,
        "cpu_us_per_packet": 1e6 * (c1 - c0) / max(received, 1),
        "cpu_pct_per_call": 100 * (c1 - c0) / (t1 - t0) / calls,
    }


def _opus_capacity(kind: str, calls: int, seconds: float) -> dict[str, Any]:
    """``calls`` Opus calls (two sessions each, complexity 5, speech-like audio from a different
    point per leg) on a two-thread engine under normal scheduling, as bench_media's Opus
    capacity figure measures SDES-less RTP: late ticks and concealed frames over ``seconds``."""
    engine = media.Engine(threads=2)
    signal = speech_like(4.0, 48000, seed=5)
    shifts = np.random.default_rng(11).integers(0, len(signal), 2 * calls)
    sessions: list[media.MediaSession] = []
    for i in range(calls):
        pair = _webrtc_pair if kind == "webrtc" else _sdes_pair
        a, b = pair(engine, "opus", opus_complexity=5)
        for s, shift in ((a, shifts[2 * i]), (b, shifts[2 * i + 1])):
            s.set_source(media.MemorySource(np.roll(signal, shift), 48000, loop=True))
        sessions += [a, b]
    end = time.monotonic() + 60
    while kind == "webrtc" and not _connected(*sessions) and time.monotonic() < end:
        time.sleep(0.05)
    connected = sum(s.dtls_state == "connected" for s in sessions) if kind == "webrtc" else None
    time.sleep(1.0)  # jitter buffers settle
    e0, c0, t0 = engine.stats(), _cpu(), time.monotonic()
    s0 = [s.stats() for s in sessions]
    time.sleep(seconds)
    e1, c1, t1 = engine.stats(), _cpu(), time.monotonic()
    s1 = [s.stats() for s in sessions]
    engine.stop()
    pairs = list(zip(s0, s1, strict=True))
    received = sum(y.packets_received - x.packets_received for x, y in pairs)
    return {
        "impl": f"siperb {kind} opus",
        "calls": calls,
        "sessions_connected": connected,
        "cpu_pct_per_call": 100 * (c1 - c0) / (t1 - t0) / calls,
        "cpu_us_per_packet": 1e6 * (c1 - c0) / max(received, 1),
        "received_pct_of_expected": 100 * received / (2 * calls * (t1 - t0) * 50),
        "late_ticks": e1["late_ticks"] - e0["late_ticks"],
        "concealed_frames": sum(y.frames_concealed - x.frames_concealed for x, y in pairs),
        "late_frames": sum(y.jb_late - x.jb_late for x, y in pairs),
    }


def _aiortc_cpu(calls: int, seconds: float) -> dict[str, Any]:
    import aioice.ice
    import aiortc
    import av

    aioice.ice.get_host_addresses = lambda *a, **k: ["127.0.0.1"]  # loopback only

    class Tone(aiortc.MediaStreamTrack):  # type: ignore[misc]
        kind = "audio"

        def __init__(self, freq: float) -> None:
            super().__init__()
            self.freq, self.n, self.t0 = freq, 0, time.monotonic()

        async def recv(self) -> av.AudioFrame:
            await asyncio.sleep(max(0.0, self.t0 + self.n * 0.02 - time.monotonic()))
            t = (np.arange(160) + self.n * 160) / RATE
            pcm = (8000 * np.sin(2 * np.pi * self.freq * t)).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate, frame.pts = RATE, self.n * 160
            frame.time_base = fractions.Fraction(1, RATE)
            self.n += 1
            return frame

    received = [0]

    async def main() -> dict[str, Any]:
        pcs = []

        def consume(pc: Any) -> None:
            @pc.on("track")  # type: ignore[misc]
            def on_track(track: Any) -> None:
                async def pull() -> None:
                    while True:
                        try:
                            await track.recv()
                        except Exception:
                            return
                        received[0] += 1

                tasks.append(asyncio.ensure_future(pull()))

        tasks: list[Any] = []
        for i in range(calls):
            a, b = aiortc.RTCPeerConnection(), aiortc.RTCPeerConnection()
            for pc, f in ((a, 440 + i), (b, 1000 + i)):
                t = pc.addTransceiver(Tone(f), direction="sendrecv")
                caps = aiortc.RTCRtpSender.getCapabilities("audio")
                t.setCodecPreferences([c for c in caps.codecs if c.mimeType == "audio/PCMU"])
                consume(pc)
            await a.setLocalDescription(await a.createOffer())
            await b.setRemoteDescription(a.localDescription)
            await b.setLocalDescription(await b.createAnswer())
            await a.setRemoteDescription(b.localDescription)
            pcs += [a, b]
        await asyncio.sleep(3.0)  # ICE + DTLS, then steady state
        r0, c0, t0 = received[0], _cpu(), time.monotonic()
        await asyncio.sleep(seconds)
        r1, c1, t1 = received[0], _cpu(), time.monotonic()
        for pc in pcs:
            await pc.close()
        n = r1 - r0
        return {
            "impl": "aiortc",
            "calls": calls,
            "packets_received": n,
            "cpu_us_per_packet": 1e6 * (c1 - c0) / max(n, 1),
            "cpu_pct_per_call": 100 * (c1 - c0) / (t1 - t0) / calls,
        }

    return asyncio.run(main())


def cpu_in_subprocess(kind: str, calls: int, seconds: float = 6.0) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "cpu-one", kind, str(calls), str(seconds)],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def opus_capacity(calls: int = 100, seconds: float = 8.0) -> list[dict[str, Any]]:
    """The Opus capacity figure for WebRTC sessions beside SDES ones, each in its own process."""
    return [cpu_in_subprocess(f"opus-{k}", calls, seconds) for k in ("sdes", "webrtc")]


def compare_cpu(calls: int = 10) -> list[dict[str, Any]]:
    rows = [cpu_in_subprocess(k, calls) for k in ("sdes", "webrtc", "aiortc")]
    sdes, webrtc = rows[0]["cpu_us_per_packet"], rows[1]["cpu_us_per_packet"]
    for r in rows:
        r["ratio_to_siperb_webrtc"] = r["cpu_us_per_packet"] / max(webrtc, 1e-9)
    rows[1]["ratio_to_sdes"] = webrtc / max(sdes, 1e-9)
    return rows


# ---- pytest-benchmark entry points ----


def test_webrtc_connect_time(benchmark: Any) -> None:
    result: dict[str, float] = {}
    benchmark.group = "webrtc connect"
    benchmark.extra_info["impl"] = "siperb"
    benchmark.pedantic(lambda: result.update(measure_connect()), rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    print(f"\n{result}")


def test_webrtc_cpu_per_packet(benchmark: Any) -> None:
    rows: list[dict[str, Any]] = []
    benchmark.group = "webrtc cpu per packet"
    benchmark.extra_info["impl"] = "siperb"
    benchmark.pedantic(lambda: rows.extend(compare_cpu()), rounds=1, iterations=1)
    benchmark.extra_info["results"] = rows
    for r in rows:
        print(f"\n{r}")


def test_webrtc_opus_capacity(benchmark: Any) -> None:
    rows: list[dict[str, Any]] = []
    benchmark.group = "webrtc opus capacity"
    benchmark.extra_info["impl"] = "siperb"
    calls = int(os.environ.get("CALLS_OPUS", "100"))
    benchmark.pedantic(lambda: rows.extend(opus_capacity(calls)), rounds=1, iterations=1)
    benchmark.extra_info["results"] = rows
    for r in rows:
        print(f"\n{r}")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "cpu-one":
        kind, calls, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        if kind.startswith("opus-"):
            r = _opus_capacity(kind.removeprefix("opus-"), calls, seconds)
        elif kind == "aiortc":
            r = _aiortc_cpu(calls, seconds)
        else:
            r = _engine_cpu(kind, calls, seconds)
        print(json.dumps(r))
        return
    print("connect:", measure_connect())
    for r in compare_cpu():
        print(r)
    for r in opus_capacity(int(os.environ.get("CALLS_OPUS", "100"))):
        print(r)


if __name__ == "__main__":
    main()
