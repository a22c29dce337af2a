"""Interop traps of WebRTC media between two real engine sessions on loopback: an ICE role
conflict (both ends think they control: RFC 8445 7.3.1.1, 487) still connects and carries
audio; media flows only with rtcp-mux (one socket per session)."""

from __future__ import annotations

import asyncio

import pytest
from test_ua_common import run

from siperb.media import engine as engine_mod
from siperb.media.call_media import EngineMedia, webrtc_available
from siperb.media.webrtc import engine_params

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not webrtc_available(), reason="no WebRTC in the engine"),
]
RATE = 48000


class InboundStandIn:
    direction = "inbound"


@pytest.mark.timeout(40)
def test_ice_role_conflict_resolves_and_audio_flows() -> None:
    async def main() -> None:
        tone = engine_mod.MemorySource(engine_mod.tone(440, 2, RATE), RATE, loop=True)
        ear = engine_mod.MemorySink(RATE, RATE * 5)
        alice = EngineMedia("127.0.0.1", webrtc=True, source=tone)
        bob = EngineMedia("127.0.0.1", webrtc=True, sink=ear)
        try:
            bob.bind_call(InboundStandIn())  # bob's session starts when we say (answered)
            answer = bob.create_answer(alice.create_offer())
            assert bob.session is not None and not bob.session.started
            assert bob.negotiated is not None and not bob.negotiated.ice_controlling
            # Bob wrongly takes the controlling role too (as a confused peer would).
            assert bob.session is not None
            params = engine_mod.stream_params(bob.negotiated, local=bob.local, remote=bob.remote,
                                              **{**engine_params(bob.negotiated, "127.0.0.1"),
                                                 "ice_controlling": True})  # fmt: skip
            bob.session.start(params)
            bob.session.set_sink(ear)
            alice.apply_answer(answer)
            assert alice.negotiated is not None and alice.negotiated.ice_controlling
            assert alice.negotiated.rtcp_mux and alice.session is not None

            async def heard() -> None:
                while len(ear) < RATE:
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(heard(), 20)
            assert alice.session.ice_state in ("connected", "completed")
            assert bob.session.dtls_state == "connected"
        finally:
            alice.close()
            bob.close()

    run(main(), timeout=35)
