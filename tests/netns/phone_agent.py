"""The phone side of a netns scenario: a siperb UserAgent run inside the phone's namespace.

Started as ``ip netns exec <phone> python phone_agent.py '<json>'``; prints one JSON line with
what happened. Actions: ``call`` (call ``target`` with a tone, FFT what comes back),
``wait_call`` (register, answer the first incoming call, FFT what comes back) and ``idle``
(register, report call events for ``wait_s``). Every step's
facts (registration, the flow's addresses, media host, Via) go into the result, so the test
asserts on them in the parent process.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import numpy as np

from siperb.events import Event
from siperb.media import EngineMedia
from siperb.media.audio import BufferSink, ToneSource
from siperb.media.engine import SessionConfig
from siperb.sdp import Codec
from siperb.sip.session import CallState, InviteSession
from siperb.sip.transaction import Timers
from siperb.sip.useragent import UserAgent, UserAgentConfig

RATE = 16000


def fft_peak(pcm: Any) -> tuple[float, float]:
    x = np.asarray(pcm).astype(np.float64) / 32768.0
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * RATE / len(x)), float(np.sqrt(np.mean(x * x)))


async def listen(sink: BufferSink, seconds: float) -> tuple[float, float]:
    await asyncio.wait_for(sink.aread(int(RATE * 0.5)), 8)
    pcm = await asyncio.wait_for(sink.aread(int(RATE * seconds)), 8)
    return fft_peak(pcm)


async def scenario(args: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"events": [], "media_events": [], "call_states": [], "sdp_refused": []}
    sink = BufferSink(RATE, RATE * 10)
    tone = float(args.get("tone_hz", 1000.0))

    t0 = time.monotonic()
    config = SessionConfig(rtp_timeout_ms=int(args["rtp_timeout_ms"])) if args.get(
        "rtp_timeout_ms") else None  # fmt: skip

    def media_event(name: str) -> Any:
        def record(*_: Any) -> None:
            out["media_events"].append([name, round(time.monotonic() - t0, 2)])

        return record

    def media(ua: Any) -> EngineMedia:
        source = ToneSource(RATE, [([tone], 1000)], repeat=True)
        m = EngineMedia(
            ua.media_host(),
            [Codec.pcmu()],
            source=source,
            sink=sink,
            config=config,
            webrtc=bool(args.get("webrtc")),
        )  # WebRTC profile: ICE + DTLS-SRTP
        if m.session is not None:
            for name in ("timeout", "rtp_resumed"):
                m.session.on(name, media_event(name))
        return m

    cfg = UserAgentConfig(
        aor=args["aor"], proxy=args["proxy"], password=args["password"],
        media_factory=media, tls_verify=False, expires=int(args.get("expires", 600)),
        keepalive_interval=args.get("keepalive_interval", 30.0),
        udp_keepalive_interval=args.get("udp_keepalive_interval", 25.0),
        dns_servers=args.get("dns_servers"), dns_timeout=2.0,
    )  # fmt: skip
    if args.get("t1"):  # short SIP timers: a dead UDP target times out (timer F) in 64*T1
        t1 = float(args["t1"])
        cfg.timers = Timers(t1=t1, t2=8 * t1, t4=10 * t1)
    ua = UserAgent(cfg)
    incoming: asyncio.Queue[InviteSession | None] = asyncio.Queue()

    def on_event(ev: Event) -> None:
        if ev.name == "incoming_call":
            incoming.put_nowait(ev["call"])
        if ev.name == "call_state":
            out["call_states"].append(str(ev.get("state")))
            if ev.get("state") is CallState.TERMINATED:
                call = ev["call"]
                out["ended"] = {"outcome": str(call.outcome), "status": call.status,
                                "reason": call.reason}  # fmt: skip
        if ev.name == "sdp_refused":  # an offer we answered 488, or an answer we refused
            fields = ("what", "status", "warning", "reason")
            out["sdp_refused"].append({k: str(ev.get(k)) for k in fields})
            if ev.get("what") == "offer":
                incoming.put_nowait(None)  # wait_call ends: there is no call to answer
        if ev.name in ("registered", "registration_failed", "transport"):
            fields = ("status", "state", "public")
            out["events"].append({"name": ev.name, **{k: ev.get(k) for k in fields}})

    ua.events.on("*", on_event)
    try:
        await ua.start()
        assert ua.flow is not None
        out.update(local=str(ua.flow.local), remote=str(ua.flow.remote),
                   media_host=ua.media_host(), via=ua.via(), contact=ua.contact())  # fmt: skip
        out["registered"] = bool(ua.registration and ua.registration.registered)
        out["targets"] = [str(t.endpoint) for t in ua.targets]
        out["failovers"], out["kind"] = ua.failovers, ua.flow.kind.name
        print(json.dumps({"ready": True, **out}), flush=True)
        if args.get("idle_s"):
            await asyncio.sleep(float(args["idle_s"]))
        if args["action"] == "idle":  # registered; the test sends something at us
            await asyncio.sleep(float(args.get("wait_s", 5)))
            return out
        if args["action"] == "call":
            call = await ua.call(args["target"])
        else:
            offered = await asyncio.wait_for(incoming.get(), float(args.get("wait_s", 20)))
            if offered is None:
                return out
            call = offered
            await call.answer()
        state = await call.wait_for(CallState.ESTABLISHED, timeout=15)
        out["established"] = state is CallState.ESTABLISHED
        if state is not CallState.ESTABLISHED:
            return out
        if isinstance(call.media, EngineMedia) and call.media.local is not None:
            out["sdp_c"] = [ln for ln in str(call.media.local).splitlines() if ln[:2] == "c="]
            out["remote_sdp_c"] = [ln for ln in str(call.media.remote).splitlines()
                                   if ln[:2] == "c="]  # fmt: skip
            out["local_sdp"], out["remote_sdp"] = str(call.media.local), str(call.media.remote)
        if args.get("no_audio"):  # a peer that sends none: hang up after hold_s
            await asyncio.sleep(float(args.get("hold_s", 0.5)))
            await call.hangup()
            return out
        out["heard_hz"], out["heard_rms"] = await listen(sink, 1.0)
        if args.get("fault_s"):  # the test breaks the network now, then repairs it
            print(json.dumps({"in_call": True}), flush=True)
            await asyncio.sleep(float(args["fault_s"]))
            while sink.read_nowait(160) is not None:  # what was heard before and during it
                pass
            out["after_hz"], out["after_rms"] = await listen(sink, 1.0)
            out["state_after"] = str(call.state)
        await asyncio.sleep(float(args.get("hold_s", 0.5)))
        await call.hangup()
    finally:
        await ua.close()
    return out


def main() -> None:
    args = json.loads(sys.argv[1])
    started = time.monotonic()
    try:
        result = asyncio.run(asyncio.wait_for(scenario(args), float(args.get("timeout", 60))))
        result["ok"] = True
    except BaseException as e:  # reported to the parent, which asserts
        result = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    result["seconds"] = round(time.monotonic() - started, 2)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
