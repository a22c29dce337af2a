"""The Phone against real peers through Kamailio (WS): history outcomes, events, transfers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_sdk_examples import provision, provisioning_for
from test_ua_common import blocking, run

import siperb
from peers.baresip import CALL_CLOSED, CALL_ESTABLISHED, CALL_INCOMING, Baresip
from peers.kamailio import DOMAIN, Kamailio
from peers.sipp import UAS_BUSY, Sipp
from siperb.phone import Phone

pytestmark = pytest.mark.integration
Factory = Callable[..., Baresip]


async def answered_by(phone: Phone, peer: Baresip, target: str) -> siperb.Call:
    """Dial ``target`` and have the baresip ``peer`` pick up; returns the established call."""
    call = await phone.dial(target)
    await blocking(peer.await_event, CALL_INCOMING, 10)
    await blocking(peer.accept)
    await call.wait_for("established", timeout=10)
    return call


def opts(kam: Kamailio, user: str = "1000", **extra: Any) -> dict[str, Any]:
    base = {"Provisioning": provisioning_for(kam, user), "PhoneFrame": None,
            "ProfileUserId": f"it-{user}", "SessionId": "s", "UserId": "u"}  # fmt: skip
    base.update(extra)
    return base


@pytest.mark.timeout(60)
def test_history_busy_cancelled_and_missed(
    kamailio: Kamailio, sipp_factory: Callable[..., Sipp], baresip_factory: Factory,
    tmp_path: Path,
) -> None:  # fmt: skip
    sipp = sipp_factory(UAS_BUSY, calls=1, timeout_s=20)
    sipp.wait_listening()
    bob = baresip_factory("1001")

    async def main() -> None:
        async with await provision(opts(kamailio), tmp_path) as phone:
            toasts: list[str] = []
            phone.on("toast", lambda ev: toasts.append(ev["message"]))
            busy = await phone.dial(f"sip:service@{sipp.uri_host}")
            busy_row = await busy.wait_ended(10)
            assert busy_row is not None and busy_row.outcome == "busy"
            assert busy_row.sip_status == 486 and busy_row.hangup_by == "remote"
            assert phone.translator.t("call.busy") in toasts

            ringing = await phone.dial("1001")
            await blocking(bob.await_event, CALL_INCOMING, 10)
            await ringing.wait_for("ringing", timeout=10)
            await phone.end_call(ringing)
            cancelled = await ringing.wait_ended(10)
            assert cancelled is not None and cancelled.outcome == "cancelled"
            assert cancelled.hangup_by == "local" and cancelled.duration == 0
            await blocking(bob.await_event, CALL_CLOSED, 10)

            sub = phone.events("incoming_call")
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            ev = await sub.get(10)
            await asyncio.sleep(0.3)
            await blocking(bob.hangup)
            missed = await ev["call"].wait_ended(10)
            assert missed is not None and missed.outcome == "missed"
            assert missed.direction == "inbound" and missed.hangup_by == "remote"
            assert any("1001" in t for t in toasts if t.startswith("Missed"))

            rows = await phone.history()
            assert [r.outcome for r in rows] == ["missed", "cancelled", "busy"]

    run(main(), 55)
    assert sipp.wait().ok


@pytest.mark.timeout(60)
def test_events_iterator_and_callbacks_for_an_inbound_call(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Path
) -> None:
    bob = baresip_factory("1001")

    async def main() -> None:
        async with await provision(opts(kamailio), tmp_path) as phone:
            by_callback: list[str] = []
            phone.on("session_state_change", lambda ev: by_callback.append(ev["state"]))
            digits: list[str] = []

            async def consume() -> list[str]:
                seen: list[str] = []
                async for ev in phone.events("session_state_change"):
                    seen.append(ev["state"])
                    if ev["state"] == "terminated":
                        return seen
                return seen

            consumer = asyncio.ensure_future(consume())
            phone.on("dtmf", lambda ev: digits.append(ev["digit"]))
            incoming = phone.events("incoming_call")  # before dialling: the event may come first
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            async for ev in incoming:
                await phone.Answer()  # the ringing call, picked by the phone
                session = ev["call"].id
                assert ev["call"].state == "established"
                break
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            await phone.SendDtmf(session, "5", "info")  # INFO towards baresip: accepted
            await blocking(bob.hangup)
            by_iterator = await asyncio.wait_for(consumer, 10)
            assert by_iterator == by_callback == ["incoming", "established", "terminated"]

    run(main(), 55)


@pytest.mark.timeout(60)
def test_blind_transfer_of_baresip(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Path
) -> None:
    bob = baresip_factory("1001")
    carol = baresip_factory("1002", answermode="auto")

    async def main() -> None:
        async with await provision(opts(kamailio), tmp_path) as phone:
            call = await answered_by(phone, bob, "1001")
            status = await phone.BlindTransfer(call.id, "1002")
            assert status == 200
            await blocking(carol.await_event, CALL_ESTABLISHED, 15)
            record = await call.wait_ended(10)
            assert record is not None and record.outcome == "answered"
            assert record.hangup_by == "local"

    run(main(), 55)


@pytest.mark.timeout(60)
def test_attended_transfer_between_two_phones(kamailio: Kamailio, tmp_path: Path) -> None:
    async def main() -> None:
        me = await provision(opts(kamailio, "1000"), tmp_path / "a")
        bob = await provision(opts(kamailio, "1001"), tmp_path / "b")
        carol = await provision(opts(kamailio, "1002"), tmp_path / "c")
        phones: list[Phone] = [me, bob, carol]
        try:
            for p in (bob, carol):
                p.on("incoming_call", lambda ev: asyncio.ensure_future(ev["call"].answer()))
            replaced: list[Any] = []
            carol.on("transfer", replaced.append)
            to_bob = await me.dial("1001")
            await to_bob.wait_for("established", timeout=10)
            consult = await me.AttendedTransfer(to_bob.id, "1002")
            assert to_bob.state == "on_hold"
            await consult.wait_for("established", timeout=10)
            assert await me.CompleteTransfer(consult.id) == 200
            await to_bob.wait_ended(10)
            await consult.wait_for("terminated", timeout=10)
            # bob's new call (INVITE with Replaces) is now carol's only call.
            await asyncio.sleep(0.5)
            assert [c.state for c in carol.calls] == [siperb.SessionState.ESTABLISHED]
            assert "1001" in carol.calls[0].remote_uri
            assert not me.calls
        finally:
            for p in phones:
                await p.close()

    run(main(), 55)


@pytest.mark.timeout(60)
def test_cancel_attended_transfer_resumes_the_original_call(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Path
) -> None:
    bob = baresip_factory("1001")
    carol = baresip_factory("1002", answermode="auto")

    async def main() -> None:
        async with await provision(opts(kamailio), tmp_path) as phone:
            call = await answered_by(phone, bob, "1001")
            consult = await phone.attended_transfer("1002")
            await consult.wait_for("established", timeout=10)
            await blocking(carol.await_event, CALL_ESTABLISHED, 10)
            assert call.state == "on_hold"
            await phone.CancelTransfer(consult.id)
            await blocking(carol.await_event, CALL_CLOSED, 10)
            assert consult.ended and call.state == "established"
            await phone.end_call(call)

    run(main(), 55)
