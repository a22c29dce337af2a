"""SDK parity (issue #15): the SDK's argument shapes, slots, events, DTMF types and transfers.

Against the in-process loopback service, like test_phone.py (its helpers are reused).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from test_phone import options, phone_on, run, settle

import siperb
from siperb.demo import DEMO_USER, LoopbackService, manual_provisioning
from siperb.errors import SiperbError
from siperb.phone.history import MEMORY, History
from siperb.sip.transport import TraceRecord

# ---- 1: every verb takes a Call or its session id, SDK order for PascalCase ----


def test_pascal_case_verbs_take_the_session_id_first() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            call = await phone.Dial("echo")
            await call.wait_for("established", timeout=5)
            await phone.Hold(call.id)
            assert call.held
            await phone.Unhold(call.id)
            await phone.Mute(call.id)
            await phone.Unmute(call)
            await phone.SendDtmf(call.id, "1")
            assert svc.echo_calls[-1].dtmf_received == ["1"]
            # the snake_case twins keep their keyword forms and take an id too
            await phone.hold(call.id)
            await phone.unhold(call=call.id)
            await phone.send_dtmf("2", call.id)
            assert svc.echo_calls[-1].dtmf_received == ["1", "2"]
            await phone.EndCall(call.id)
            await call.wait_ended(5)

    run(main())


def test_a_bad_session_argument_is_named() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=5)
            with pytest.raises(SiperbError) as info:
                await phone.Hold("no-such-session")
            assert info.value.field == "SessionId" and "no-such-session" in str(info.value)
            with pytest.raises(SiperbError) as bad:
                await phone.Hold(42)  # type: ignore[arg-type]
            assert bad.value.field == "SessionId"
            with pytest.raises(SiperbError) as snake:
                await phone.hold(call=3.5)  # type: ignore[arg-type]
            assert snake.value.field == "call"
            with pytest.raises(SiperbError) as order:  # the old order: digits first
                await phone.SendDtmf("1", call.id)
            assert order.value.field == "SessionId"
            await phone.end_call(call)

    run(main())


# ---- 2: DtmfType ----


def test_dtmf_type_inband_uses_the_media_info_uses_sip_and_unknown_is_refused() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=5)
            inband: list[str] = []
            setattr(call.sip.media, "send_dtmf_rfc4733", inband.append)  # noqa: B010
            await phone.SendDtmf(call.id, "12", "inband")
            assert inband == ["1", "2"]
            assert svc.counts.get("INFO", 0) == 0 and svc.echo_calls[-1].dtmf_received == []
            await phone.SendDtmf(call.id, "3", "info")
            assert svc.echo_calls[-1].dtmf_received == ["3"] and inband == ["1", "2"]
            with pytest.raises(SiperbError) as info:
                await phone.SendDtmf(call.id, "4", "carrier-pigeon")
            assert info.value.field == "DtmfType" and "carrier-pigeon" in str(info.value)
            assert svc.echo_calls[-1].dtmf_received == ["3"] and inband == ["1", "2"]

    run(main())


def test_dtmf_default_type_comes_from_the_settings() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc, EnableSettings=True) as phone:
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=5)
            inband: list[str] = []
            setattr(call.sip.media, "send_dtmf_rfc4733", inband.append)  # noqa: B010
            await phone.settings.set("DtmfType", "inband")
            await phone.send_dtmf("9", call)
            assert inband == ["9"] and svc.echo_calls[-1].dtmf_received == []
            await phone.settings.set("DtmfType", "smoke")
            with pytest.raises(SiperbError) as info:
                await phone.send_dtmf("9", call)
            assert info.value.field == "DtmfType"

    run(main())


# ---- 3: slots, online/offline, event names ----


def test_online_offline_slots_and_registered_follows_the_flow() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            seen: list[str] = []
            phone.OnOffline = lambda: seen.append("offline")
            phone.OnOnline = lambda: seen.append("online")
            assert phone.registered
            assert phone.ua is not None and phone.ua.flow is not None
            phone.ua.flow.close()  # the connection drops
            await settle(lambda: seen == ["offline"])
            assert not phone.registered
            await settle(lambda: phone.registered, timeout=10)  # reconnected, re-registered
            await settle(lambda: seen == ["offline", "online"])

    run(main())


def test_onload_slot_assigned_before_start_runs() -> None:
    async def main() -> None:
        async with LoopbackService() as svc:
            phone = siperb.Phone(siperb.PhoneOptions.from_dict(options(svc)), history_path=MEMORY)
            ran: list[bool] = []
            phone.OnLoad = lambda: ran.append(True)
            await phone.start()
            async with phone:
                await phone.wait_loaded(5)
                assert ran == [True]
            # assigned right after ProvisionPhone returns: OnLoad has not run yet, so it is used
            later = await phone_on(svc)
            later.OnLoad = lambda: ran.append(False)
            async with later:
                await later.wait_loaded(5)
                assert ran == [True, False]

    run(main())


def test_unknown_event_and_slot_names_are_refused_with_a_suggestion() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            with pytest.raises(SiperbError) as info:
                phone.on("OnSessionStateChange", lambda ev: None)
            assert info.value.field == "OnSessionStateChange"
            assert "session_state_change" in str(info.value)
            with pytest.raises(SiperbError, match="incoming_call"):
                phone.events("incomming_call")
            with pytest.raises(SiperbError) as slot:
                phone.OnIncommingCall = print
            assert slot.value.field == "OnIncommingCall" and "OnIncomingCall" in str(slot.value)
            phone.on("online", lambda ev: None)  # known names still work
            phone.on("*", lambda ev: None)

    run(main())


# ---- 4: Toast, attended transfers by child session ----


def test_toast_takes_icon_and_color() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            ev = phone.Toast("Saved", "Siperb", "fa-check", "green")
            assert (ev["message"], ev["title"], ev["icon"], ev["color"]) == (
                "Saved", "Siperb", "fa-check", "green",
            )  # fmt: skip

    run(main())


def test_several_attended_transfers_pending_by_child_session() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            first = await phone.dial("echo")
            await first.wait_for("established", timeout=5)
            second = await phone.dial("echo")
            await second.wait_for("established", timeout=5)
            child1 = await phone.AttendedTransfer(first.id, "echo")
            child2 = await phone.AttendedTransfer(second.id, "echo")
            assert isinstance(child1, siperb.Call) and child1 is not child2
            await child1.wait_for("established", timeout=5)
            await child2.wait_for("established", timeout=5)
            assert first.held and second.held
            referred: list[Any] = []

            async def fake_transfer(target: Any, timeout: float = 30.0) -> int:
                referred.append(target)
                return 200

            setattr(second.sip, "transfer", fake_transfer)  # noqa: B010
            await phone.CancelTransfer(child1.id)
            await child1.wait_ended(5)
            assert not first.held and first.state == "established"
            assert await phone.CompleteTransfer(child2.id) == 200
            assert referred == [child2.sip]
            with pytest.raises(SiperbError) as info:
                await phone.CompleteTransfer(child1.id)
            assert info.value.field == "SessionId"

    run(main())


# ---- 5: a blind transfer without a final NOTIFY ----


def test_blind_transfer_without_final_notify_is_a_siperb_error_and_the_call_stays() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=5)
            echo = svc.echo_calls[-1]

            async def never_notify(target: str, referred_by: str | None) -> None:
                await asyncio.sleep(3600)

            setattr(echo, "_follow_refer", never_notify)  # noqa: B010
            with pytest.raises(SiperbError) as info:
                await phone.blind_transfer("1002", call, timeout=0.5)
            assert info.value.field == "NOTIFY" and info.value.reason
            assert call.state == "established" and not call._local_end
            await phone.end_call(call)
            record = await call.wait_ended(5)
            assert record is not None and record.hangup_by == "local"

    run(main())


# ---- 6: the bearer token survives the digest retry ----


def test_proxy_mode_keeps_the_bearer_token_on_the_challenged_retry() -> None:
    async def main() -> None:
        async with LoopbackService() as svc:
            prov = manual_provisioning(svc.port).to_dict()
            prov["RegistrationMode"] = "Proxy"
            prov["SipJwt"] = "jwt-123"
            sent: list[bytes] = []

            def trace(rec: TraceRecord) -> None:
                if rec.direction == "out":
                    sent.append(rec.data)

            phone = await siperb.ProvisionPhone(options(svc, Provisioning=prov),
                                                history_path=MEMORY,
                                                user_agent_options={"trace": trace})  # fmt: skip
            async with phone:
                assert svc.registered(DEMO_USER)
            registers = [m for m in sent if m.startswith(b"REGISTER ")]
            retried = [m for m in registers if b"Digest " in m]
            assert retried, "no challenged REGISTER"
            # (the trace shows the token redacted; the header itself must be on every REGISTER)
            assert all(b"\r\nAuthorization: Bearer " in m for m in registers)

    run(main())


# ---- 7: language fallbacks ----


def test_a_valid_language_without_a_catalogue_falls_back_to_english() -> None:
    from siperb.phone.i18n import Translator, resolve_language

    assert resolve_language("ko") == "en"
    assert resolve_language("ko-KR") == "en"
    assert Translator("ko").language == "en"
    with pytest.raises(ValueError, match="unsupported language"):
        resolve_language("klingon")
    opts = siperb.PhoneOptions.from_dict({
        "Provisioning": manual_provisioning(5060), "ProfileUserId": "p", "SessionId": "s",
        "UserId": "u", "Language": "ko",
    })  # fmt: skip
    assert opts.resolved_language == "en"


def test_lc_all_c_gives_english_even_with_lang_set() -> None:
    from siperb.phone.i18n import resolve_language

    assert resolve_language("auto", environ={"LC_ALL": "C", "LANG": "de_DE.UTF-8"}) == "en"
    assert resolve_language("auto", environ={"LC_ALL": "POSIX", "LANG": "fr_FR"}) == "en"
    assert resolve_language("auto", environ={"LANG": "ko_KR.UTF-8"}) == "en"


# ---- 8: history ----


def test_ongoing_rows_of_a_killed_process_are_closed_at_the_next_start(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    with History("unit", db) as h:  # the "killed" process: started, answered, never ended
        h.record_start("killed-1", "outbound", "sip:echo@x", at=1000.0)
        h.record_answer("killed-1", at=1001.0)

    async def main() -> None:
        async with (
            LoopbackService() as svc,
            await siperb.ProvisionPhone(options(svc), history_path=db) as phone,
        ):
            rows = await phone.history()
        assert [r.call_id for r in rows] == ["killed-1"]
        row = rows[0]
        assert row.ended and row.outcome == "answered"
        assert row.end_reason is not None and "interrupted" in row.end_reason

    run(main())


def test_404_and_480_are_call_rejected() -> None:
    from siperb.phone.history import derive_outcome

    assert derive_outcome("outbound", False, "remote", 404) == "declined"
    assert derive_outcome("outbound", False, "remote", 480) == "declined"
    assert derive_outcome("outbound", False, "remote", 603) == "declined"
    assert derive_outcome("outbound", False, "remote", 486) == "busy"
    assert derive_outcome("outbound", False, "remote", 500) == "failed"


# ---- 9: the selected audio device is restored at start ----


def test_selected_device_is_restored_at_start(tmp_path: Path) -> None:
    class FakeControl:
        def __init__(self) -> None:
            self.selected: list[tuple[str | None, str | None]] = []

        def devices(self) -> list[Any]:
            return ["mic", "speaker"]

        def select_device(self, *, input: str | None, output: str | None) -> None:
            self.selected.append((input, output))

        def set_muted(self, call: Any, muted: bool) -> None:
            pass

    db = tmp_path / "h.sqlite3"

    async def main() -> None:
        async with LoopbackService() as svc:
            ctl = FakeControl()
            async with await siperb.ProvisionPhone(options(svc), history_path=db,
                                                   media_control=ctl) as phone:  # fmt: skip
                await phone.select_device(input="mic", output="speaker")
            again = FakeControl()
            async with await siperb.ProvisionPhone(options(svc), history_path=db,
                                                   media_control=again):  # fmt: skip
                assert again.selected == [("mic", "speaker")]

    run(main())


def test_history_row_keeps_the_recording_path_and_total_duration() -> None:
    class Recorder:
        def devices(self) -> list[Any]:
            return []

        def select_device(self, *, input: str | None, output: str | None) -> None:
            pass

        def set_muted(self, call: Any, muted: bool) -> None:
            pass

        def start_recording(self, call: Any, path: str | None) -> Any:
            return Path(path or "auto.wav")

        def stop_recording(self, call: Any) -> Any:
            return None

    async def main() -> None:
        async with LoopbackService() as svc:
            phone = await siperb.ProvisionPhone(options(svc), history_path=MEMORY,
                                                media_control=Recorder())  # fmt: skip
            async with phone:
                call = await phone.dial("echo")
                await call.wait_for("established", timeout=5)
                await phone.StartRecording(call.id, "/tmp/call-1.wav")
                await phone.EndCall(call.id)
                record = await call.wait_ended(5)
        assert record is not None and record.recording == "/tmp/call-1.wav"
        assert record.total_duration is not None and record.duration is not None
        assert record.total_duration >= record.duration > 0

    run(main())


# ---- CDR fields, recent calls, single-record lookup; video ----


def test_cdr_fields_recent_calls_and_lookup() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            call = await phone.Dial("echo")
            await call.wait_for("established", timeout=5)
            await asyncio.sleep(0.05)
            await phone.EndCall(call.id)
            await call.wait_ended(5)
            nobody = await phone.Dial("nobody")
            await nobody.wait_ended(5)
            recent = await phone.GetRecentCalls(10)
            assert [r.call_id for r in recent] == [nobody.call_id, call.call_id]
            answered = await phone.GetCallRecord(call.id)  # by session id
            assert answered is not None and answered == await phone.GetCallRecord(call.call_id)
            assert answered.TerminatedBy == "us" and answered.ReasonCode == 200
            assert answered.StartTime <= answered.AnswerTime <= answered.EndTime  # type: ignore[operator]
            assert answered.TalkTime == answered.duration and answered.Duration >= answered.TalkTime
            rejected = recent[0]
            assert rejected.TerminatedBy == "them" and rejected.ReasonCode == 404
            assert rejected.ReasonText == "Not Found" and rejected.AnswerTime is None
            assert rejected.TalkTime == 0
            cdr = rejected.to_cdr()
            assert {"TerminatedBy", "StartTime", "AnswerTime", "EndTime", "Duration", "TalkTime",
                    "ReasonCode", "ReasonText"} <= set(cdr)  # fmt: skip
            assert await phone.GetCallRecord("no-such-call") is None

    run(main())


def test_video_calls_are_refused_clearly() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            with pytest.raises(SiperbError) as info:
                await phone.Dial("echo", withVideo=True)
            assert info.value.field == "withVideo" and "video" in str(info.value)
            assert svc.counts.get("INVITE", 0) == 0

    run(main())


# ---- buddies (contacts) per ProfileUserId ----


def test_buddies_are_kept_per_profile_and_known_to_the_dial_pad(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"

    async def main() -> None:
        async with LoopbackService() as svc:
            async with await siperb.ProvisionPhone(options(svc, ProfileUserId="alice"),
                                                   history_path=db) as phone:  # fmt: skip
                echo = await phone.buddies.add("Echo Service", "echo")
                carol = await phone.buddies.Add("Carol", "1002", email="carol@example.com")
                assert [b.display_name for b in await phone.buddies.list()] == [
                    "Carol", "Echo Service"]  # fmt: skip
                assert (await phone.buddies.get(carol.buddy_id)) == carol
                assert phone.buddies.find(f"sip:echo@{svc.domain}") == echo
                assert await phone.buddies.remove(carol.buddy_id)
                assert not await phone.buddies.remove(carol.buddy_id)
                with pytest.raises(SiperbError) as info:
                    await phone.buddies.add("", "1003")
                assert info.value.field == "display_name"
            async with await siperb.ProvisionPhone(options(svc, ProfileUserId="bob"),
                                                   history_path=db) as other:  # fmt: skip
                assert await other.buddies.list() == []
            kiosk = options(svc, ProfileUserId="alice", EnableDialPad=False)
            async with await siperb.ProvisionPhone(kiosk, history_path=db) as phone:
                assert [b.number for b in await phone.buddies.list()] == ["echo"]
                call = await phone.dial("echo")  # a buddy: allowed without the dial pad
                await call.wait_for("established", timeout=5)
                await phone.end_call(call)

    run(main())
