"""Refused WebRTC SDP on the wire: a 488 with a Warning and an event, and an answer in another
transport ending the call (ACK, then BYE) with a named reason. Real Kamailio, real UAs."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import pytest
from test_ua_common import incoming, run, started

from peers.kamailio import DOMAIN, Kamailio
from siperb import sip
from siperb.media import SdpOnlyMedia
from siperb.sdp import SessionDescription
from siperb.sip.session import CallState, Outcome

#: A browser's audio-only offer (the SDP fuzz seed, also tests/unit/test_webrtc_sdp.BROWSER).
BROWSER = (
    Path(__file__).resolve().parents[2] / "fuzz/seeds/fuzz_sdp/webrtc_browser.sdp"
).read_text()

pytestmark = pytest.mark.integration


def _invite(port: int, body: str) -> str:
    body = body.replace("\n", "\r\n")
    return (
        "INVITE sip:1000@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{uuid.uuid4().hex}\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:browser@127.0.0.1>;tag=b1\r\n"
        f"To: <sip:1000@{DOMAIN}>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\n"
        "CSeq: 1 INVITE\r\n"
        f"Contact: <sip:browser@127.0.0.1:{port}>\r\n"
        "Content-Type: application/sdp\r\n"
        f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
    )


def _final_response(host: str, port: int, body: str) -> sip.Message:
    """Send an INVITE from a bare socket; the first final response (bounded wait)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
        s.sendto(_invite(s.getsockname()[1], body).encode(), (host, port))
        while True:
            msg = sip.parse(s.recv(65535))
            if (msg.status or 0) >= 200:
                return msg


@pytest.mark.timeout(30)
def test_webrtc_offer_without_webrtc_media_gets_488_with_warning_and_event(
    kamailio: Kamailio,
) -> None:
    async def main() -> None:
        ua, rec = await started(kamailio, "1000", media_factory=lambda ua: SdpOnlyMedia())
        try:
            assert ua.flow is not None
            local = ua.flow.local
            reply = await asyncio.to_thread(_final_response, local.host, local.port, BROWSER)
            assert reply.status == 488
            warning = reply.header("Warning") or ""
            assert warning.startswith('302 siperb "'), warning
            assert "UDP/TLS/RTP/SAVPF" in warning
            ev = await rec.wait("sdp_refused")
            assert ev["what"] == "offer" and ev["status"] == 488
            assert ev["warning"] == warning and "WebRTC" in ev["reason"]
            call = ev["call"]
            assert call.state is CallState.TERMINATED and call.outcome is Outcome.NOT_ACCEPTABLE
            assert "UDP/TLS/RTP/SAVPF" in call.reason
        finally:
            await ua.close()

    run(main())


class _SavpfAnswer(SdpOnlyMedia):
    """A far end that answers an RTP/AVP offer with UDP/TLS/RTP/SAVPF (what an rtpengine
    misconfigured for WebRTC does)."""

    def create_answer(self, offer: SessionDescription) -> SessionDescription:
        answer = super().create_answer(offer)
        answer.media[0].proto = "UDP/TLS/RTP/SAVPF"
        return answer


@pytest.mark.timeout(40)
def test_answer_in_another_transport_ends_the_call_with_the_reason(kamailio: Kamailio) -> None:
    async def main() -> None:
        a, arec = await started(kamailio, "1000", media_factory=lambda ua: SdpOnlyMedia())
        b, brec = await started(kamailio, "1001", media_factory=lambda ua: _SavpfAnswer())
        try:
            call = await a.call("1001")
            inbound = await incoming(brec)
            await inbound.answer()
            assert await asyncio.wait_for(call.ended, 10) is Outcome.NOT_ACCEPTABLE
            assert "UDP/TLS/RTP/SAVPF" in call.reason and "RTP/AVP" in call.reason
            ev = await arec.wait("sdp_refused")
            assert ev["what"] == "answer" and ev["call"] is call
            # The far end got our ACK and then our BYE: its call ended normally.
            assert await asyncio.wait_for(inbound.ended, 10) is Outcome.COMPLETED
            states = [e["state"] for e in arec.events if e.name == "call_state"]
            assert CallState.ESTABLISHED not in states
        finally:
            await a.close()
            await b.close()

    run(main())
