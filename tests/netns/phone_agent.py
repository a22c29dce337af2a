"""The phone side of a netns scenario: a siperb UserAgent run inside the phone's namespace.

Started as ``ip netns exec <phone> python phone_agent.py '<json>'``; prints one JSON line with
what happened. Actions: ``call`` (call ``target`` with a tone, FFT what comes back) and
``wait_call`` (register, answer the first incoming call, FFT what comes back). Every step's
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
from siperb.sdp import Codec
from siperb.sip.session import CallState, InviteSession
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
    out: dict[str, Any] = {"events": []}
    sink = BufferSink(RATE, RATE * 10)
    tone = float(args.get("tone_hz", 1000.0))

    def media(ua: Any) -> EngineMedia:
        source = ToneSource(RATE, [([tone], 1000)], repeat=True)
        return EngineMedia(ua.media_host(), [Codec.pcmu()], source=source, sink=sink)

    cfg = UserAgentConfig(
        aor=args["aor"], proxy=args["proxy"], password=args["password"],
        media_factory=media, tls_verify=False, expires=int(args.get("expires", 600)),
        keepalive_interval=args.get("keepalive_interval", 30.0),
        udp_keepalive_interval=args.get("udp_keepalive_interval", 25.0),
    )  # fmt: skip
    ua = UserAgent(cfg)
    incoming: asyncio.Queue[InviteSession] = asyncio.Queue()

    def on_event(ev: Event) -> None:
        if ev.name == "incoming_call":
            incoming.put_nowait(ev["call"])
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
        print(json.dumps({"ready": True, **out}), flush=True)
        if args.get("idle_s"):
            await asyncio.sleep(float(args["idle_s"]))
        if args["action"] == "call":
            call = await ua.call(args["target"])
        else:
            call = await asyncio.wait_for(incoming.get(), float(args.get("wait_s", 20)))
            await call.answer()
        state = await call.wait_for(CallState.ESTABLISHED, timeout=15)
        out["established"] = state is CallState.ESTABLISHED
        if isinstance(call.media, EngineMedia) and call.media.local is not None:
            out["sdp_c"] = [ln for ln in str(call.media.local).splitlines() if ln[:2] == "c="]
        out["heard_hz"], out["heard_rms"] = await listen(sink, 1.0)
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
