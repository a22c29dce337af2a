"""A WebRTC call through a TURN relay (coturn on 127.0.0.1): each side gets only the other's
relayed candidate, so no host-to-host pair exists and the media crosses the relay (ChannelData /
Data indications through the TurnClient, SRTP unwrapped into the RTP path)."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from media_helpers import dominant_frequency, rms, wait_until

from peers.coturn import Coturn, start_coturn
from siperb import media

RATE = 8000


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    if shutil.which("turnserver", path="/usr/bin:/usr/sbin") is None:
        pytest.skip("turnserver not installed (Debian package coturn; scripts/bootstrap.sh)")
    server = start_coturn(tmp_path / "coturn")
    try:
        yield server
    finally:
        server.stop()


def test_audio_through_the_relay_only(coturn):
    engine = media.Engine()
    cfg = dict(
        webrtc=True, turn_server=f"{coturn.host}:{coturn.port}", turn_username=coturn.user,
        turn_password=coturn.password, gather_timeout_ms=3000,
    )  # fmt: skip
    a = engine.session(**cfg)  # type: ignore[arg-type]
    b = engine.session(**cfg)  # type: ignore[arg-type]
    try:
        relay_a = [c for c in a.gather_candidates() if " typ relay" in c]
        relay_b = [c for c in b.gather_candidates() if " typ relay" in c]
        assert relay_a and relay_b, (relay_a, relay_b)
        sink_a, sink_b = media.MemorySink(RATE, RATE * 4), media.MemorySink(RATE, RATE * 4)
        a.set_sink(sink_a)
        b.set_sink(sink_b)
        a.set_source(media.MemorySource(media.tone(440, 2, RATE), RATE, loop=True))
        b.set_source(media.MemorySource(media.tone(1000, 2, RATE), RATE, loop=True))

        def params(
            remote: media.MediaSession, cands: list[str], **kw: object
        ) -> media.StreamParams:
            return media.StreamParams(
                codec="PCMU", ice_ufrag=remote.ice_ufrag, ice_pwd=remote.ice_pwd,
                ice_candidates=cands, dtls_fingerprint=remote.dtls_fingerprint, **kw,
            )  # type: ignore[arg-type]  # fmt: skip

        pairs: list[tuple[int, int]] = []
        a.start(params(b, relay_b, ice_controlling=True, dtls_setup="active"))
        b.start(params(a, relay_a, ice_controlling=False, dtls_setup="passive"))

        def up() -> bool:
            for e in engine.poll_events():
                if e.name == "selected_pair":
                    pairs.append((e.data["session"], e.data["port"]))
            return all(s.dtls_state == "connected" for s in (a, b))

        assert wait_until(up, 20.0), (a.ice_state, a.dtls_state, b.ice_state, b.dtls_state)
        # TURN permissions are per IP address (RFC 8656 9), and on loopback every address is
        # 127.0.0.1: a check from b's host socket to a's relay gets through, and a may select
        # b's host address as a peer-reflexive remote behind its own relay. Either way at
        # least one leg goes to a relayed address, so the media crosses coturn.
        relay_ports = {int(c.split()[5]) for c in relay_a + relay_b}
        assert {sid for sid, _ in pairs} == {a.id, b.id}, pairs
        assert any(port in relay_ports for _, port in pairs), (pairs, relay_ports)
        for sink, freq in ((sink_b, 440), (sink_a, 1000)):
            assert wait_until(lambda s=sink: len(s) >= RATE * 1.5, 10.0)
            tail = sink.samples()[-RATE:]
            assert abs(dominant_frequency(tail, RATE) - freq) < 20 and rms(tail) > 2000
    finally:
        a.close()
        b.close()
        engine.stop()
        time.sleep(0.1)
