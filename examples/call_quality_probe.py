"""A call-quality probe: calls a number, sends a tone, and reports jitter, loss, RTT and MOS.

Point it at an echo service (many PBXs have one) to measure a path; it prints one line a
second and a summary, and exits 1 when the MOS is below ``--min-mos``. Without ``--server`` it
calls the loopback PBX's echo peer.

    python examples/call_quality_probe.py --seconds 3
    python examples/call_quality_probe.py --server wss://pbx.example.com:8089/ws --user probe \\
        --target echo --seconds 20 --min-mos 3.5
"""

from __future__ import annotations

import asyncio
from typing import Any

from _account import parser, phone_for

from siperb.media import MemorySource, tone


def quality(call: Any) -> dict[str, float]:
    """The call's media statistics now (empty before media starts)."""
    session = getattr(call.sip.media, "session", None)
    if session is None or not session.started:
        return {}
    return {k: float(v) for k, v in session.stats().values.items()}


def line(v: dict[str, float]) -> str:
    rtt = f"{v['rtt_ms']:.0f} ms" if v.get("rtt_ms", -1) >= 0 else "n/a"
    return (f"sent {v.get('packets_sent', 0):.0f}, received {v.get('packets_received', 0):.0f}, "
            f"jitter {v.get('jitter_ms', 0):.1f} ms, loss {v.get('loss_percent', 0):.1f} %, "
            f"RTT {rtt}, MOS {v.get('mos', 0):.2f}")  # fmt: skip


async def main() -> int:
    p = parser("Measure a call's quality: jitter, loss, RTT and MOS.")
    p.add_argument("--target", default="echo", help="number or SIP URI to call (an echo)")
    p.add_argument("--seconds", type=float, default=10.0, help="how long to measure")
    p.add_argument("--min-mos", type=float, default=3.5, help="exit 1 below this MOS")
    args = p.parse_args()
    async with phone_for(args) as (phone, _pbx):
        call = await phone.dial(args.target)
        call.set_source(MemorySource(tone(440.0, 1.0, 16000), 16000, True))
        await call.wait_for("established", timeout=15)
        if call.state != "established":
            print(f"no answer: {call.status} {call.reason}", flush=True)
            return 2
        v: dict[str, float] = {}
        for second in range(max(1, int(args.seconds))):
            await asyncio.sleep(1.0)
            v = quality(call) or v
            print(f"[{second + 1:3d} s] {line(v)}", flush=True)
        await call.hangup()
        await call.wait_ended(5)
    mos = v.get("mos", 0.0)
    verdict = "ok" if mos >= args.min_mos else f"below {args.min_mos}"
    print(f"summary: {line(v)} ({verdict})", flush=True)
    return 0 if mos >= args.min_mos else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
