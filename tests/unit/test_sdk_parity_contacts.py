"""SDK parity (issue #15), part two: buddy edits, two-phase delete and selection, the SDK's
event names with ``{Event, Source, Data}``, and each call record's event log (CDR ``Events``).

Against the in-process loopback service, like test_sdk_parity.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from test_phone import options, phone_on, run, settle

import siperb
from siperb.demo import DEMO_USER, LoopbackService
from siperb.errors import SiperbError
from siperb.events import Event
from siperb.phone import history
from siperb.phone.history import MEMORY, History
from siperb.phone.schema import SCHEMA_VERSION, migrate

# ---- buddies: update, two-phase delete, lookup, select, Dial by id ----


def test_buddy_update_two_phase_delete_lookup_and_select(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"

    async def main() -> None:
        async with LoopbackService() as svc:
            async with await siperb.ProvisionPhone(options(svc, ProfileUserId="alice"),
                                                   history_path=db) as phone:  # fmt: skip
                carol = await phone.buddies.add("Carol", "1002")
                dave = await phone.buddies.Add("Dave", "1003")
                changed = await phone.buddies.Update(carol.buddy_id, number="1012",
                                                     email="c@example.com")  # fmt: skip
                assert (changed.display_name, changed.number, changed.email) == (
                    "Carol", "1012", "c@example.com")  # fmt: skip
                assert await phone.buddies.get(carol.buddy_id) == changed
                with pytest.raises(SiperbError) as info:
                    await phone.buddies.update("nope", number="1")
                assert info.value.field == "buddy_id"
                assert phone.buddies.lookup(carol.buddy_id) == changed
                assert phone.buddies.Lookup("1012") == changed
                assert phone.buddies.lookup(f"sip:1003@{svc.domain}") == dave
                await phone.buddies.Select(dave.buddy_id)
                assert phone.buddies.selected == dave
                # phase one: hidden, restorable
                assert await phone.buddies.Delete(carol.buddy_id)
                assert [b.buddy_id for b in await phone.buddies.list()] == [dave.buddy_id]
                assert phone.buddies.lookup("1012") is None
                assert [b.buddy_id for b in await phone.buddies.deleted()] == [carol.buddy_id]
                assert await phone.buddies.Undelete(carol.buddy_id)
                assert not await phone.buddies.undelete(carol.buddy_id)
                assert await phone.buddies.get(carol.buddy_id) == changed
                # phase two: gone for good
                assert await phone.buddies.delete(carol.buddy_id)
                assert await phone.buddies.Purge(carol.buddy_id) == 1
                assert not await phone.buddies.undelete(carol.buddy_id)
                assert await phone.buddies.deleted() == []
            async with await siperb.ProvisionPhone(options(svc, ProfileUserId="alice"),
                                                   history_path=db) as phone:  # fmt: skip
                assert phone.buddies.Selected == dave  # kept in the settings
                await phone.buddies.select(None)
                assert phone.buddies.selected is None

    run(main())


def test_dial_takes_a_buddy_id_and_an_incoming_call_event_names_its_buddy() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc, EnableDialPad=False) as phone:
            echo = await phone.buddies.add("Echo Service", "echo")
            call = await phone.Dial(echo.buddy_id)
            await call.wait_for("established", timeout=5)
            assert call.remote_uri.startswith("sip:echo@")
            await phone.end_call(call)
            await call.wait_ended(5)
            seen: list[Event] = []
            phone.on("incoming_call", seen.append)
            await svc.call(DEMO_USER)
            await settle(lambda: bool(seen))
            assert seen[0]["buddy_id"] == echo.buddy_id
            await phone.decline(seen[0]["call"])

    run(main())


# ---- the SDK's event names, {Event, Source, Data} ----


def test_sdk_event_names_get_event_source_data() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            sdk: list[Event] = []
            snake: list[Event] = []
            everything: list[Event] = []
            phone.On("SessionStateChange", sdk.append)
            phone.on("IncomingCall", sdk.append)
            phone.on("Toast", sdk.append)
            phone.on("session_state_change", snake.append)
            phone.on("*", everything.append)
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=5)
            phone.toast("hello")
            await settle(lambda: any(e.name == "Toast" for e in sdk))
            first = sdk[0]
            assert first.name == "SessionStateChange"
            assert first["Event"] == "SessionStateChange" and first["Source"] == call.id
            assert first["Data"]["SessionId"] == call.id and "State" in first["Data"]
            assert len([e for e in sdk if e.name == "SessionStateChange"]) == len(snake)
            toast = next(e for e in sdk if e.name == "Toast")
            assert toast["Source"] == "phone" and toast["Data"]["Message"] == "hello"
            assert all(e.name.islower() or e.name == "*" for e in everything)  # no twins
            assert phone.off("SessionStateChange", sdk.append)
            assert not phone.off("SessionStateChange", sdk.append)
            with pytest.raises(SiperbError, match="did you mean"):
                phone.on("SessionStateChang", sdk.append)
            with pytest.raises(SiperbError, match="snake_case"):
                phone.events("IncomingCall")
            await svc.call(DEMO_USER)
            await settle(lambda: any(e.name == "IncomingCall" for e in sdk))
            ring = next(e for e in sdk if e.name == "IncomingCall")
            assert set(ring["Data"]) >= {"SessionId", "CallerId", "BuddyId"}
            await phone.end_call(call)

    run(main())


# ---- CDR Events ----


def test_a_call_record_keeps_its_event_log() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=5)
            await phone.hold(call)
            await phone.unhold(call)
            await phone.send_dtmf("12", call)
            await phone.end_call(call)
            await call.recorded.wait()
            record = await phone.call_record(call.id)
            assert record is not None
            names = [e["name"] for e in record.Events]
            assert {"state", "hold", "resume", "dtmf_sent"} <= set(names)
            assert [e["data"]["state"] for e in record.Events if e["name"] == "state"][-1] == (
                "terminated")  # fmt: skip
            sent = next(e for e in record.events if e["name"] == "dtmf_sent")
            assert sent["data"]["digits"] == "12" and sent["time"].tzinfo is not None
            assert record.to_cdr()["Events"][0]["name"] == names[0]

    run(main())


def test_the_event_log_is_capped_and_migrated() -> None:
    cap = history.MAX_CALL_EVENTS
    h = History("alice", MEMORY)
    h.record_start("c1", "inbound", "sip:bob@x")
    flood: list[tuple[float, str, Any]] = [(1.0, "dtmf_received", {"digit": "1"})] * 150
    assert h.add_events("c1", flood) == 150
    assert h.add_events("c1", flood) == cap - 150
    record = h.get("c1")
    assert record is not None and len(record.Events) == cap
    conn = sqlite3.connect(":memory:", isolation_level=None)
    assert migrate(conn, SCHEMA_VERSION - 1) == SCHEMA_VERSION - 1
    conn.execute("INSERT INTO buddies VALUES ('p', 'b', 'Bob', '1', NULL, 0)")
    assert migrate(conn) == SCHEMA_VERSION >= 5
    assert conn.execute("SELECT deleted FROM buddies").fetchall() == [(None,)]
