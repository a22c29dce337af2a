"""A voice bot: answers each call, talks, listens to the answer, and hangs up.

It "talks" in tones (a greeting of three beeps; put your text-to-speech output in ``say``) and
"hears" by the pitch it receives (put your speech recogniser in ``listen``). Without
``--server`` it registers with a loopback PBX whose echo peer calls it, so it hears itself.

    python examples/voice_bot.py                     # loopback: the echo peer calls the bot
    python examples/voice_bot.py --server wss://pbx.example.com:8089/ws --user bot --calls 0
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import numpy.typing as npt
from _account import parser, phone_for

from siperb.events import Event
from siperb.media import tone
from siperb.media.audio import BufferSink, BufferSource

RATE = 16000
GREETING = (523.0, 659.0, 784.0)  # C, E, G: 0.3 s each


def say(mouth: BufferSource) -> float:
    """Queue the bot's words (here three beeps with pauses); returns their length in s."""
    pause = np.zeros(RATE // 10, np.int16)
    words = np.concatenate([np.concatenate([tone(hz, 0.3, RATE), pause]) for hz in GREETING])
    mouth.push(words)
    return len(words) / RATE


def listen(heard: npt.NDArray[np.int16]) -> str:
    """What the bot understood: the loudest pitch, or silence."""
    if len(heard) == 0 or np.abs(heard.astype(np.int32)).max() < 300:
        return "silence"
    spectrum = np.abs(np.fft.rfft(heard.astype(float)))
    return f"{np.argmax(spectrum) * RATE / len(heard):.0f} Hz"


async def converse(call: Any) -> None:
    """One conversation: say the greeting, listen to what comes back, hang up."""
    mouth, ear = BufferSource(RATE, RATE * 4), BufferSink(RATE, RATE * 4)
    call.set_source(mouth)
    call.set_sink(ear)
    await call.answer()
    print(f"answered {call.remote_uri}", flush=True)
    seconds = say(mouth)
    print(f"said {len(GREETING)} words ({seconds:.1f} s)", flush=True)
    heard = [await asyncio.wait_for(ear.aread(RATE * 4 // 10), 5) for _ in GREETING]
    print("heard " + ", ".join(listen(h) for h in heard), flush=True)
    await call.hangup()
    await call.wait_ended(5)
    print("hung up", flush=True)


async def main() -> int:
    p = parser("A voice bot that answers calls and talks.")
    p.add_argument("--calls", type=int, default=1, help="quit after this many calls (0: never)")
    args = p.parse_args()
    async with phone_for(args) as (phone, pbx):
        done: asyncio.Queue[None] = asyncio.Queue()

        async def on_incoming(ev: Event) -> None:
            try:
                await converse(ev["call"])
            finally:
                done.put_nowait(None)

        phone.on("incoming_call", on_incoming)
        if pbx is not None:  # loopback: the echo peer calls the bot
            await pbx.call(args.user)
        print("waiting for calls", flush=True)
        for _ in range(args.calls) if args.calls else iter(int, 1):
            await done.get()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
