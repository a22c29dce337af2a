"""An IVR: answers, plays a menu prompt, and acts on the caller's DTMF digits.

Menu: 1 sales, 2 support, 9 repeat the menu, 0 goodbye (hang up). Each choice plays its own
tone (put your recorded prompts in ``PROMPTS``). Digits come as RFC 4733 events or SIP INFO,
whichever the caller sends. Without ``--server`` a loopback PBX's echo peer calls and presses
1, 2, 0.

    python examples/ivr.py
    python examples/ivr.py --server wss://pbx.example.com:8089/ws --user ivr --calls 0
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from _account import parser, phone_for

from siperb.events import Event
from siperb.media import MemorySource, tone

RATE = 16000
MENU = {"1": "sales", "2": "support", "9": "menu", "0": "goodbye"}
PROMPTS = {"menu": 440.0, "sales": 660.0, "support": 880.0, "goodbye": 330.0}


def prompt(name: str) -> MemorySource:
    """The prompt ``name`` as a source (a tone here; a WAV file in a real IVR)."""
    pcm = np.concatenate([tone(PROMPTS[name], 0.5, RATE), np.zeros(RATE // 4, np.int16)])
    return MemorySource(pcm, RATE, False)


async def serve(call: Any, digits: asyncio.Queue[str], timeout: float) -> list[str]:
    """Run the menu on one answered call until 0, a hang-up or ``timeout`` s of silence."""
    chosen: list[str] = []
    call.set_source(prompt("menu"))
    print("menu: 1 sales, 2 support, 9 repeat, 0 goodbye", flush=True)
    while not call.ended:
        try:
            digit = await asyncio.wait_for(digits.get(), timeout)
        except asyncio.TimeoutError:
            print("no choice: goodbye", flush=True)
            break
        choice = MENU.get(digit)
        if choice is None:
            print(f"pressed {digit}: not on the menu", flush=True)
            continue
        print(f"pressed {digit}: {choice}", flush=True)
        chosen.append(choice)
        call.set_source(prompt(choice))
        if choice == "goodbye":
            await asyncio.sleep(0.75)  # let the goodbye prompt play
            break
    if not call.ended:
        await call.hangup()
    await call.wait_ended(5)
    return chosen


async def main() -> int:
    p = parser("An IVR with a DTMF menu.")
    p.add_argument("--calls", type=int, default=1, help="quit after this many calls (0: never)")
    p.add_argument("--timeout", type=float, default=15.0, help="hang up after this silence (s)")
    args = p.parse_args()
    async with phone_for(args) as (phone, pbx):
        queues: dict[str, asyncio.Queue[str]] = {}
        done: asyncio.Queue[list[str]] = asyncio.Queue()

        def on_dtmf(ev: Event) -> None:
            queue = queues.get(ev["call"].id)
            if queue is not None:
                queue.put_nowait(ev["digit"])

        async def on_incoming(ev: Event) -> None:
            call = ev["call"]
            queues[call.id] = asyncio.Queue()
            await call.answer()
            print(f"answered {call.remote_uri}", flush=True)
            try:
                done.put_nowait(await serve(call, queues[call.id], args.timeout))
            finally:
                queues.pop(call.id, None)

        phone.on("dtmf", on_dtmf)
        phone.on("incoming_call", on_incoming)
        if pbx is not None:  # loopback: the echo peer calls and presses 1, 2, 0
            caller = await pbx.call(args.user)
            await caller.wait_for("established", timeout=10)
            for digit in "120":
                await asyncio.sleep(0.6)
                await caller.send_dtmf(digit)
        for _ in range(args.calls) if args.calls else iter(int, 1):
            print(f"call done: {', '.join(await done.get()) or 'nothing chosen'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
