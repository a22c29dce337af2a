"""An answering machine: answers, plays a greeting beep, records the message, hangs up.

Each message is a stereo WAV in ``--dir`` (what the machine sent on the left, the caller on the
right), listed with its length and loudness. Without ``--server`` a loopback PBX's echo peer
calls, and its "message" is the greeting echoed back.

    python examples/answering_machine.py --dir messages
    python examples/answering_machine.py --server wss://pbx.example.com:8089/ws --user 1000
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import numpy as np
from _account import parser, phone_for

from siperb.events import Event
from siperb.media import MemorySource, tone
from siperb.media.audio import WavFile

RATE = 16000


def loudness_dbfs(path: str) -> float:
    """The caller's (right channel's) peak level in dBFS, -100 for silence."""
    _rate, channels, pcm = WavFile.read(path)
    heard = pcm[:, 1] if channels == 2 else pcm
    peak = int(np.abs(heard.astype(np.int32)).max()) if len(heard) else 0
    return 20 * float(np.log10(peak / 32768)) if peak else -100.0


async def take_message(call: Any, folder: str, seconds: float) -> str:
    """Answer, beep, record up to ``seconds`` (or until the caller hangs up); the WAV's path."""
    path = os.path.join(folder, f"message-{time.strftime('%Y%m%d-%H%M%S')}-{call.id[:8]}.wav")
    await call.answer()
    print(f"answered {call.remote_uri}", flush=True)
    beep = np.concatenate([np.zeros(RATE // 4, np.int16), tone(1000.0, 0.4, RATE, 12000)])
    call.set_source(MemorySource(beep, RATE, False))
    await call.start_recording(path)
    ended = asyncio.ensure_future(call.wait_ended())
    await asyncio.wait([ended], timeout=seconds)
    if not call.ended:
        await call.stop_recording()
        await call.hangup()
    await call.wait_ended(5)
    ended.cancel()
    return path


async def main() -> int:
    p = parser("An answering machine that records messages to WAV files.")
    p.add_argument("--dir", default="messages", help="folder for the recorded messages")
    p.add_argument("--seconds", type=float, default=30.0, help="longest message (s)")
    p.add_argument("--calls", type=int, default=1, help="quit after this many calls (0: never)")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    async with phone_for(args) as (phone, pbx):
        done: asyncio.Queue[str] = asyncio.Queue()

        async def on_incoming(ev: Event) -> None:
            done.put_nowait(await take_message(ev["call"], args.dir, args.seconds))

        phone.on("incoming_call", on_incoming)
        if pbx is not None:  # loopback: the echo peer calls and "speaks" the beep back
            await pbx.call(args.user)
        for _ in range(args.calls) if args.calls else iter(int, 1):
            path = await done.get()
            rate, channels, pcm = WavFile.read(path)
            print(f"message: {path} ({len(pcm) / rate:.1f} s, {channels} channels, caller peak "
                  f"{loudness_dbfs(path):.0f} dBFS)", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
