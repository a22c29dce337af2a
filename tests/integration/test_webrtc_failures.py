"""WebRTC media that cannot flow ends the call, saying why: a certificate that does not match
the SDP fingerprint (the engine's dtls_state failed) and a peer that stops answering ICE
consent checks (RFC 7675, consent_lost). Two real engine sessions on loopback; the call is a
stand-in that records what the media layer asks of it (InviteSession.media_failed)."""

from __future__ import annotations

import asyncio

import pytest
from test_ua_common import incoming, run, started

from peers.kamailio import Kamailio
from siperb.media import engine as engine_mod
from siperb.media.call_media import EngineMedia, webrtc_available
from siperb.sdp import Fingerprint, SessionDescription
from siperb.sip.session import Outcome

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not webrtc_available(), reason="no WebRTC in the engine"),
]
RATE = 48000


class CallStandIn:
    """What EngineMedia.bind_call needs: the reasons it ends the call with."""

    direction = "outbound"

    def __init__(self) -> None:
        self.failures: list[str] = []

    def media_failed(self, reason: str) -> None:
        self.failures.append(reason)

    def media_dtmf(self, digit: str) -> None:
        pass


def pair(**config: object) -> tuple[EngineMedia, EngineMedia, CallStandIn]:
    cfg = engine_mod.SessionConfig(**config)  # type: ignore[arg-type]
    source = engine_mod.MemorySource(engine_mod.tone(440, 2, RATE), RATE, loop=True)
    alice = EngineMedia("127.0.0.1", webrtc=True, source=source, config=cfg)
    bob = EngineMedia("127.0.0.1", webrtc=True, config=cfg)
    call = CallStandIn()
    alice.bind_call(call)
    return alice, bob, call


async def until(check: object, timeout: float) -> None:
    async def poll() -> None:
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


@pytest.mark.timeout(40)
def test_wrong_fingerprint_ends_the_call_with_the_dtls_reason() -> None:
    async def main() -> None:
        alice, bob, call = pair()
        try:
            answer = bob.create_answer(alice.create_offer())
            wrong = ":".join(["AB"] * 32)
            answer.media[0].fingerprints = [Fingerprint("sha-256", wrong)]
            alice.apply_answer(answer)
            await until(lambda: call.failures, 20)
            assert call.failures[0].startswith("DTLS failed:"), call.failures
            assert "fingerprint" in call.failures[0].lower(), call.failures
            assert alice.failure == call.failures[0]
        finally:
            alice.close()
            bob.close()

    run(main(), timeout=35)


@pytest.mark.timeout(40)
def test_consent_lost_ends_the_call() -> None:
    async def main() -> None:
        alice, bob, call = pair(consent_timeout_ms=3000)
        try:
            alice.apply_answer(bob.create_answer(alice.create_offer()))
            assert alice.session is not None
            await until(lambda: alice.session.dtls_state == "connected", 15)  # type: ignore[union-attr]
            assert call.failures == []
            bob.close()  # the far end goes away without a word: no more consent answers
            await until(lambda: call.failures, 20)
            assert "consent" in call.failures[0].lower(), call.failures
        finally:
            alice.close()
            bob.close()

    run(main(), timeout=35)


class _ForgedFingerprint(EngineMedia):
    """A far end whose answer names another certificate than the one it presents."""

    def create_answer(self, offer: SessionDescription) -> SessionDescription:
        answer = super().create_answer(offer)
        answer.media[0].fingerprints = [Fingerprint("sha-256", ":".join(["CD"] * 32))]
        return answer


@pytest.mark.timeout(60)
def test_sip_call_with_a_forged_fingerprint_ends_with_bye_and_the_reason(
    kamailio: Kamailio,
) -> None:
    async def main() -> None:
        a, _ = await started(
            kamailio, "1000", "udp", media_factory=lambda ua: EngineMedia("127.0.0.1", webrtc=True)
        )
        b, brec = await started(kamailio, "1001", "udp",
                                media_factory=lambda ua: _ForgedFingerprint())  # fmt: skip
        try:
            call = await a.call("1001")
            inbound = await incoming(brec)
            await inbound.answer()
            assert await asyncio.wait_for(call.ended, 20) is Outcome.MEDIA_FAILED
            assert call.reason.startswith("DTLS failed:") and "fingerprint" in call.reason.lower()
            # The far end's handshake failed with ours: it ends by our BYE or by its own.
            ended = await asyncio.wait_for(inbound.ended, 10)
            assert ended in (Outcome.COMPLETED, Outcome.MEDIA_FAILED), ended
        finally:
            await a.close()
            await b.close()

    run(main(), timeout=50)
