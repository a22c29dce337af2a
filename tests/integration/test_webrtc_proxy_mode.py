"""Siperb Proxy mode end to end: a phone provisioned in ``RegistrationMode: "Proxy"`` with a
bearer JWT registers and calls over WSS with the ``X-Siperb-*`` headers, through Kamailio's WSS
listener and rtpengine, and its call carries WebRTC media (the automatic profile of Proxy mode)
to baresip in plain RTP: tones both ways."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from test_ua_common import FAST, blocking, run
from test_webrtc_rtpengine import OUR_HZ, RATE, THEIR_HZ, assert_bob_heard_us, bob, bridge

import siperb
from peers.baresip import CALL_CLOSED, CALL_ESTABLISHED, Baresip
from peers.kamailio import DOMAIN, WS_PATH, Kamailio
from peers.rtpengine import RtpEngine
from siperb.media.audio import BufferSink, ToneSource
from siperb.media.call_media import webrtc_available
from siperb.sip.transport import TraceRecord

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not webrtc_available(), reason="no WebRTC in the engine"),
]
__all__ = ["bob", "bridge"]  # fixtures shared with test_webrtc_rtpengine
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMDAwIn0.c2lnbmF0dXJl"


@pytest.mark.timeout(90)
def test_proxy_mode_registers_and_calls_over_wss_with_webrtc_media(
    bridge: tuple[Kamailio, RtpEngine], bob: Baresip, tmp_path: Any
) -> None:
    kam, _ = bridge
    sent: list[bytes] = []

    def trace(record: TraceRecord) -> None:
        if record.direction == "out":
            sent.append(bytes(record.data))

    provisioning = {
        "RegistrationMode": "Proxy",
        "SipWssServer": f"wss://{kam.host}",
        "SipWebsocketPort": kam.ports.wss,
        "SipServerPath": WS_PATH,
        "SipUsername": "1000",
        "SipPassword": kam.accounts["1000"],
        "SipDomain": DOMAIN,
        "SipJwt": JWT,
        "SipCaFile": str(kam.cert),
    }

    async def main() -> None:
        phone = await siperb.ProvisionPhone(
            {"Provisioning": provisioning, "ProfileUserId": "p1", "SessionId": "sid-1",
             "UserId": "uid-1"},
            history_path=tmp_path / "history.sqlite3",
            user_agent_options={"timers": FAST, "trace": trace},
        )  # fmt: skip
        async with phone:
            assert phone.registered and kam.contacts("1000")
            call = await phone.Dial("1001")
            await call.wait_for("established", timeout=15)
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            media = call.sip.media
            assert media.negotiated is not None and media.negotiated.webrtc
            assert media.local.media[0].proto == "UDP/TLS/RTP/SAVPF"
            sink = BufferSink(RATE, RATE * 10)
            call.set_sink(sink)
            call.set_source(ToneSource(RATE, [([OUR_HZ], 1000)], repeat=True))
            await asyncio.wait_for(sink.aread(RATE // 2), 15)
            pcm = (await asyncio.wait_for(sink.aread(RATE), 10)).astype(np.float64) / 32768
            spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm))))
            assert abs(np.argmax(spectrum) * RATE / len(pcm) - THEIR_HZ) < 20
            await asyncio.sleep(1.0)
            await phone.EndCall()
            await blocking(bob.await_event, CALL_CLOSED, 10)

    run(main(), timeout=80)
    text = b"\n".join(sent)
    for method in (b"REGISTER ", b"INVITE "):
        request = next(m for m in sent if m.startswith(method))
        assert b"X-Siperb-Sid: sid-1" in request and b"X-Siperb-Uid: uid-1" in request, method
        assert b"Authorization: Bearer" in request, method  # the JWT (redacted in traces)
    assert JWT.encode() not in text  # the trace redacts the bearer token
    assert_bob_heard_us(bob)
