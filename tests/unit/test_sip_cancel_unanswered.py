"""A CANCEL the far end never answers (RFC 3261 9.1): no final response for the CANCEL within
64*T1 is not a failure of ours, and the INVITE is then considered cancelled. Before, the CANCEL
transaction's timeout escaped as a "background task failed" traceback (seen 23 times in the
500-call soak) and the call stayed ringing after ``hangup()`` returned."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import pytest

from siperb import sip
from siperb.media import SdpOnlyMedia
from siperb.sip.session import CallState, Outcome
from siperb.sip.transaction import Timers
from siperb.sip.useragent import UserAgent, UserAgentConfig


def _reply(request: sip.Message, status: int, reason: str, to_tag: str = "") -> bytes:
    lines = [f"SIP/2.0 {status} {reason}"]
    for name in ("Via", "From", "Call-ID", "CSeq"):
        lines += [f"{name}: {v}" for v in request.header_values(name)]
    to = request.header("To") or ""
    lines.append(f"To: {to};tag={to_tag}" if to_tag else f"To: {to}")
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


class SilentOnCancel(asyncio.DatagramProtocol):
    """Rings for every INVITE and never answers a CANCEL (nor sends a 487)."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        msg = sip.parse(data)
        self.methods.append(msg.method)
        if msg.method == "INVITE":
            self.transport.sendto(_reply(msg, 100, "Trying"), addr)
            self.transport.sendto(_reply(msg, 180, "Ringing", "silent1"), addr)


def test_an_unanswered_cancel_ends_the_call_quietly(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        transport, peer = await loop.create_datagram_endpoint(
            SilentOnCancel, local_addr=("127.0.0.1", 0), family=socket.AF_INET
        )
        port = transport.get_extra_info("sockname")[1]
        ua = UserAgent(UserAgentConfig(
            aor="sip:alice@127.0.0.1", proxy=f"sip:127.0.0.1:{port};transport=udp",
            udp_keepalive_interval=None, timers=Timers(t1=0.02),
            media_factory=lambda ua: SdpOnlyMedia(ua.media_host()),
        ))  # fmt: skip
        await ua.start(register=False)
        try:
            call = await ua.call(f"sip:bob@127.0.0.1:{port}")
            await call.wait_for(CallState.RINGING, timeout=5)
            await call.hangup()
            await asyncio.sleep(64 * 0.02 + 0.5)  # past the CANCEL's Timer F
            assert "CANCEL" in peer.methods
            assert call.state is CallState.TERMINATED
            assert call.outcome is Outcome.CANCELLED
        finally:
            await ua.close()
            transport.close()

    with caplog.at_level(logging.INFO):
        asyncio.run(asyncio.wait_for(main(), 20))
    failures = [r for r in caplog.records if "background task failed" in r.getMessage()]
    assert not failures, failures[0].exc_text if failures else ""
