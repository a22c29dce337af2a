"""Calls between the siperb UserAgent and real peers (baresip, SIPp) through Kamailio.

Signalling and SDP only (the media engine is not plugged in): states are checked on both sides.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from test_ua_common import blocking, incoming, run, started

from peers.baresip import CALL_CLOSED, CALL_ESTABLISHED, CALL_INCOMING, Baresip
from peers.kamailio import DOMAIN, Kamailio
from peers.procs import PeerError
from peers.sipp import UAS_ANSWER, UAS_BUSY, UAS_EARLY_MEDIA, Sipp
from siperb.media import SdpOnlyMedia
from siperb.sdp import Direction
from siperb.sip.session import CallState, InviteSession, Outcome
from siperb.sip.useragent import UserAgent

pytestmark = pytest.mark.integration
Factory = Callable[..., Baresip]


async def answered_by(ua: UserAgent, peer: Baresip, target: str) -> InviteSession:
    """Call ``target`` and have the baresip ``peer`` pick up; returns the established call."""
    call = await ua.call(target)
    await blocking(peer.await_event, CALL_INCOMING, 10)
    await blocking(peer.accept)
    await call.wait_for(CallState.ESTABLISHED, timeout=10)
    return call


@pytest.mark.timeout(40)
@pytest.mark.parametrize("transport", ["udp", "ws"])
def test_we_call_baresip_it_answers_we_hang_up(
    kamailio: Kamailio, baresip_factory: Factory, transport: str
) -> None:
    bob = baresip_factory("1001")

    async def main() -> None:
        ua, rec = await started(kamailio, "1000", transport)
        try:
            call = await ua.call("1001")
            await blocking(bob.await_event, CALL_INCOMING, 10)
            assert (await call.wait_for(CallState.RINGING, timeout=10)) is CallState.RINGING
            await blocking(bob.accept)
            await call.wait_for(CallState.ESTABLISHED, timeout=10)
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            assert isinstance(call.media, SdpOnlyMedia) and call.media.negotiated is not None
            assert call.media.negotiated.codec.name in ("opus", "PCMU", "PCMA")
            await call.hangup()
            assert call.outcome is Outcome.COMPLETED
            await blocking(bob.await_event, CALL_CLOSED, 10)
            states = [e["state"] for e in rec.events if e.name == "call_state"]
            assert states == [CallState.RINGING, CallState.ESTABLISHED, CallState.TERMINATED]
        finally:
            await ua.close()

    run(main())


@pytest.mark.timeout(40)
@pytest.mark.parametrize("transport", ["udp", "ws"])
def test_baresip_calls_us_we_answer_it_hangs_up(
    kamailio: Kamailio, baresip_factory: Factory, transport: str
) -> None:
    bob = baresip_factory("1001")

    async def main() -> None:
        ua, rec = await started(kamailio, "1000", transport)
        try:
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            call = await incoming(rec)
            assert call.state is CallState.INCOMING and "1001" in call.remote_uri
            await call.answer()
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            await blocking(bob.hangup)
            await call.wait_for(CallState.TERMINATED, timeout=10)
            assert call.outcome is Outcome.COMPLETED and call.reason == "remote hangup"
        finally:
            await ua.close()

    run(main())


@pytest.mark.timeout(40)
def test_cancel_before_answer(kamailio: Kamailio, baresip_factory: Factory) -> None:
    bob = baresip_factory("1001")

    async def main() -> None:
        ua, _ = await started(kamailio, "1000")
        try:
            call = await ua.call("1001")
            await blocking(bob.await_event, CALL_INCOMING, 10)
            await call.wait_for(CallState.RINGING, timeout=10)
            await call.hangup()
            assert call.outcome is Outcome.CANCELLED and call.status == 487
            await blocking(bob.await_event, CALL_CLOSED, 10)
        finally:
            await ua.close()

    run(main())


@pytest.mark.timeout(40)
def test_caller_cancels_our_ringing_call(kamailio: Kamailio, baresip_factory: Factory) -> None:
    bob = baresip_factory("1001")

    async def main() -> None:
        ua, rec = await started(kamailio, "1000")
        try:
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            call = await incoming(rec)
            await asyncio.sleep(0.3)
            await blocking(bob.hangup)
            await call.wait_for(CallState.TERMINATED, timeout=10)
            assert call.outcome is Outcome.CANCELLED
        finally:
            await ua.close()

    run(main())


@pytest.mark.timeout(40)
def test_busy_from_sipp_and_declined_by_us(
    kamailio: Kamailio, sipp_factory: Callable[..., Sipp], baresip_factory: Factory
) -> None:
    sipp = sipp_factory(UAS_BUSY, calls=1, timeout_s=20)
    sipp.wait_listening()
    bob = baresip_factory("1001")

    async def main() -> None:
        ua, rec = await started(kamailio, "1000")
        try:
            call = await ua.call(f"sip:service@{sipp.uri_host}")
            await call.wait_for(CallState.TERMINATED, timeout=10)
            assert call.outcome is Outcome.BUSY and call.status == 486
            # baresip calls us and we decline with 603 + Reason.
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            inbound = await incoming(rec)
            await inbound.decline("not now")
            assert inbound.outcome is Outcome.DECLINED
            ev = await blocking(bob.await_event, CALL_CLOSED, 10)
            assert "603" in str(ev.get("param", "")) or "Decline" in str(ev)
        finally:
            await ua.close()

    run(main())
    assert sipp.wait().ok


@pytest.mark.timeout(40)
def test_not_found_and_call_to_sipp_answering(
    kamailio: Kamailio, sipp_factory: Callable[..., Sipp]
) -> None:
    sipp = sipp_factory(UAS_ANSWER, calls=1, timeout_s=20)
    sipp.wait_listening()

    async def main() -> None:
        ua, _ = await started(kamailio, "1000")
        try:
            nobody = await ua.call("1099")
            await nobody.wait_for(CallState.TERMINATED, timeout=10)
            assert nobody.outcome is Outcome.NOT_FOUND and nobody.status == 404
            call = await ua.call(f"sip:service@{sipp.uri_host}")
            await call.wait_for(CallState.ESTABLISHED, timeout=10)
            await call.hangup()
            assert call.outcome is Outcome.COMPLETED
        finally:
            await ua.close()

    run(main())
    assert sipp.wait().ok


@pytest.mark.timeout(60)
def test_hold_and_resume_both_directions(kamailio: Kamailio, baresip_factory: Factory) -> None:
    bob = baresip_factory("1001")

    async def main() -> None:
        ua, rec = await started(kamailio, "1000")
        try:
            call = await answered_by(ua, bob, "1001")
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            # We hold: sendonly offer, baresip answers recvonly.
            response = await call.hold()
            assert response.status == 200 and call.local_hold
            assert isinstance(call.media, SdpOnlyMedia) and call.media.negotiated is not None
            assert call.media.negotiated.direction is Direction.SENDONLY
            response = await call.resume()
            assert response.status == 200 and not call.local_hold
            assert call.media.negotiated.direction is Direction.SENDRECV
            # baresip holds us: we answer its sendonly offer with recvonly, then resume.
            await blocking(bob.hold)
            ev = await rec.wait("hold", where=lambda e: e["remote_hold"])
            assert call.remote_hold and ev["direction"] in ("sendonly", "inactive")
            assert call.media.negotiated.direction in (Direction.RECVONLY, Direction.INACTIVE)
            await blocking(bob.resume)
            await rec.wait("hold", where=lambda e: not e["remote_hold"])
            assert call.state is CallState.ESTABLISHED
            await call.hangup()
            await blocking(bob.await_event, CALL_CLOSED, 10)
        finally:
            await ua.close()

    run(main(), 55)


@pytest.mark.timeout(60)
def test_baresip_transfers_us_blind(kamailio: Kamailio, baresip_factory: Factory) -> None:
    bob = baresip_factory("1001")
    carol = baresip_factory("1002", answermode="auto")

    async def main() -> None:
        ua, rec = await started(kamailio, "1000")
        try:
            call = await answered_by(ua, bob, "1001")
            await blocking(bob.transfer, f"sip:1002@{DOMAIN}")
            ev = await rec.wait("transfer_requested")
            assert "1002" in ev["target"]
            await blocking(carol.await_event, CALL_ESTABLISHED, 15)
            await call.wait_for(CallState.TERMINATED, timeout=10)
            assert call.outcome is Outcome.TRANSFERRED
            new = [c for c in ua.calls if c is not call]
            assert new and new[0].state is CallState.ESTABLISHED and "1002" in new[0].remote_uri
        finally:
            await ua.close()

    run(main(), 55)


@pytest.mark.timeout(60)
def test_we_transfer_baresip_blind(kamailio: Kamailio, baresip_factory: Factory) -> None:
    bob = baresip_factory("1001")
    carol = baresip_factory("1002", answermode="auto")

    async def main() -> None:
        ua, rec = await started(kamailio, "1000")
        try:
            call = await answered_by(ua, bob, "1001")
            final = await call.transfer("1002", timeout=20)
            assert final == 200
            assert call.outcome is Outcome.TRANSFERRED
            await blocking(carol.await_event, CALL_ESTABLISHED, 15)
            progress = [e["status"] for e in rec.events if e.name == "transfer"]
            assert progress[-1] == 200
        finally:
            await ua.close()

    run(main(), 55)


@pytest.mark.timeout(60)
def test_attended_transfer_between_two_siperb_calls(kamailio: Kamailio) -> None:
    """We (1000) talk to 1001 and to 1002, then join them: 1001 gets REFER with Replaces and
    its INVITE with Replaces replaces 1002's call with us."""

    async def main() -> None:
        me, _ = await started(kamailio, "1000")
        b, brec = await started(kamailio, "1001", "tcp")
        c, crec = await started(kamailio, "1002", "ws")
        try:
            to_b = await me.call("1001")
            b_side = await incoming(brec)
            await b_side.answer()
            await to_b.wait_for(CallState.ESTABLISHED, timeout=10)
            to_c = await me.call("1002")
            c_side = await incoming(crec)
            await c_side.answer()
            await to_c.wait_for(CallState.ESTABLISHED, timeout=10)
            final = await to_b.transfer(to_c, timeout=20)
            assert final == 200
            assert to_b.outcome is Outcome.TRANSFERRED
            # c ends its replaced dialog with us by BYE, racing our own BYE after the NOTIFY.
            await to_c.wait_for(CallState.TERMINATED, timeout=10)
            assert to_c.outcome in (Outcome.TRANSFERRED, Outcome.COMPLETED)
            ev = await crec.wait("call_replaced")
            assert ev["replaced"] is c_side and c_side.outcome is Outcome.REPLACED
            assert ev["call"].state is CallState.ESTABLISHED
        finally:
            for ua in (me, b, c):
                await ua.close()

    run(main(), 55)


@pytest.mark.timeout(40)
def test_early_media_183_then_200(kamailio: Kamailio, sipp_factory: Callable[..., Sipp]) -> None:
    sipp = sipp_factory(UAS_EARLY_MEDIA, calls=1, timeout_s=20)
    sipp.wait_listening()

    async def main() -> None:
        ua, rec = await started(kamailio, "1000")
        try:
            call = await ua.call(f"sip:service@{sipp.uri_host}")
            await call.wait_for(CallState.EARLY_MEDIA, timeout=10)
            # The 183's SDP is applied at once, so early audio (announcements) can play.
            assert call.state is CallState.EARLY_MEDIA
            assert call.media.negotiated is not None
            assert call.media.negotiated.codec.name == "PCMU"
            await call.wait_for(CallState.ESTABLISHED, timeout=10)
            await call.hangup()
            assert call.outcome is Outcome.COMPLETED
            states = [e["state"] for e in rec.events if e.name == "call_state"]
            assert states == [CallState.EARLY_MEDIA, CallState.ESTABLISHED, CallState.TERMINATED]
        finally:
            await ua.close()

    run(main())
    assert sipp.wait().ok


@pytest.mark.timeout(60)
def test_forked_call_both_phones_answer_we_keep_one(
    kamailio: Kamailio, baresip_factory: Factory
) -> None:
    """Two baresips registered as 1001; Kamailio forks our INVITE to both and both pick up at
    once. RFC 3261 13.2.2.4: the first 200 makes the call; the other 200 is ACKed and its
    dialog ended with BYE, so exactly one phone stays in the call."""
    phones = [baresip_factory("1001", answermode="auto"),
              baresip_factory("1001", answermode="auto", fork=True)]  # fmt: skip

    async def main() -> None:
        ua, _ = await started(kamailio, "1000")
        try:
            call = await ua.call("1001")
            await call.wait_for(CallState.ESTABLISHED, timeout=10)
            for phone in phones:
                await blocking(phone.await_event, CALL_ESTABLISHED, 10)
            closed = await asyncio.gather(
                *(blocking(_closed_within, phone, 3.0) for phone in phones)
            )
            assert sorted(closed) == [False, True], closed  # one phone was let go, one kept
            assert call.state is CallState.ESTABLISHED
            await call.hangup()
            kept = phones[closed.index(False)]
            await blocking(kept.await_event, CALL_CLOSED, 10)
        finally:
            await ua.close()

    run(main(), 55)


def _closed_within(phone: Baresip, seconds: float) -> bool:
    try:
        phone.await_event(CALL_CLOSED, seconds)
        return True
    except PeerError:  # no CALL_CLOSED in time
        return False


@pytest.mark.timeout(60)
def test_call_waiting_second_call_while_one_is_active(
    kamailio: Kamailio, baresip_factory: Factory
) -> None:
    bob = baresip_factory("1001")
    carol = baresip_factory("1002")

    async def main() -> None:
        ua, rec = await started(kamailio, "1000")
        try:
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            first = await incoming(rec)
            await first.answer()
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            # A second caller while the first call is up is offered as a new incoming call.
            await blocking(carol.dial, f"sip:1000@{DOMAIN}")
            ev = await rec.wait("incoming_call", 10, where=lambda e: e["call"] is not first)
            second = ev["call"]
            assert second.state is CallState.INCOMING and "1002" in second.remote_uri
            assert first.state is CallState.ESTABLISHED
            # Put the first on hold and take the second, as a phone's call-waiting key does.
            await first.hold()
            await second.answer()
            await blocking(carol.await_event, CALL_ESTABLISHED, 10)
            assert first.local_hold and second.state is CallState.ESTABLISHED
            await second.hangup()
            await first.resume()
            assert not first.local_hold and first.state is CallState.ESTABLISHED
            await first.hangup()
            await blocking(bob.await_event, CALL_CLOSED, 10)
            await blocking(carol.await_event, CALL_CLOSED, 10)
        finally:
            await ua.close()

    run(main())
