"""A WebRTC call whose only path is a TURN relay (coturn on loopback) carries audio.

Both ends are siperb EngineMedia in the WebRTC profile with coturn as their TURN server; the
SDP each hands the other keeps only its ``typ relay`` candidates, so every candidate pair's
far end is a coturn relay address: audio both ways proves media went through the relay.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_ua_common import run

from peers.coturn import Coturn, start_coturn
from siperb.events import Event
from siperb.media import engine as engine_mod
from siperb.media.call_media import EngineMedia, webrtc_available
from siperb.media.webrtc import IceServers
from siperb.sdp import SessionDescription

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from media_helpers import dominant_frequency, rms

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not webrtc_available(), reason="no WebRTC in the engine"),
]
RATE = 48000


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    if shutil.which("turnserver", path="/usr/bin:/usr/sbin") is None:
        pytest.skip("turnserver not installed (Debian package coturn; scripts/bootstrap.sh)")
    server = start_coturn(tmp_path_factory.mktemp("coturn"))
    try:
        yield server
    finally:
        server.stop()


def relay_only(desc: SessionDescription) -> SessionDescription:
    for m in desc.media:
        m.candidates = [c for c in m.candidates if c.type == "relay"]
    return desc


def media_via(turn: Coturn, hz: float) -> tuple[EngineMedia, Any]:
    ice = IceServers(turn_server=f"turn:{turn.host}:{turn.port}", turn_username=turn.user,
                     turn_password=turn.password)  # fmt: skip
    sink = engine_mod.MemorySink(RATE, RATE * 10)
    source = engine_mod.MemorySource(engine_mod.tone(hz, 2, RATE), RATE, loop=True)
    return EngineMedia("127.0.0.1", webrtc=True, ice=ice, source=source, sink=sink), sink


@pytest.mark.timeout(60)
def test_relay_only_path_carries_audio_both_ways(coturn: Coturn) -> None:
    async def main() -> None:
        alice, alice_ear = media_via(coturn, 440.0)
        bob, bob_ear = media_via(coturn, 1000.0)
        pairs: list[Event] = []
        try:
            await alice.gather()
            offer = alice.create_offer()
            assert any(c.type == "relay" for c in offer.media[0].candidates), offer
            answer = bob.create_answer(relay_only(offer))
            assert any(c.type == "relay" for c in answer.media[0].candidates), answer
            assert bob.session is not None and alice.session is not None
            bob.session.on("selected_pair", pairs.append)
            alice.session.on("selected_pair", pairs.append)
            alice.apply_answer(relay_only(answer))
            relay_ports = {c.port for c in offer.media[0].candidates + answer.media[0].candidates
                           if c.type == "relay"}  # fmt: skip

            async def filled() -> None:
                while len(alice_ear) < RATE * 2 or len(bob_ear) < RATE * 2:
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(filled(), 20)
            heard_by_bob = bob_ear.samples()[-RATE:]
            heard_by_alice = alice_ear.samples()[-RATE:]
            assert abs(dominant_frequency(heard_by_bob, RATE) - 440.0) < 15
            assert abs(dominant_frequency(heard_by_alice, RATE) - 1000.0) < 15
            assert rms(heard_by_bob) > 500 and rms(heard_by_alice) > 500
            # A selected pair's far end is a relay address (the only candidates given; the
            # other end may see the peer's address as the relay delivers it: peer-reflexive).
            assert any(int(e["port"]) in relay_ports for e in pairs), pairs
        finally:
            alice.close()
            bob.close()

    run(main(), timeout=50)
