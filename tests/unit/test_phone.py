"""Phone / ProvisionPhone against the in-process loopback service (WebSocket on 127.0.0.1).

The service is real SIP over a real WebSocket with digest auth, so these check the whole path
(options -> registration -> calls -> events -> history) without outside peers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

import siperb
from siperb.demo import DEMO_PASSWORD, DEMO_USER, LoopbackService, manual_provisioning
from siperb.errors import FeatureDisabledError, MediaError, SiperbError, TransportError
from siperb.events import Event
from siperb.phone import Phone
from siperb.phone.history import MEMORY
from siperb.phone.i18n import Translator
from siperb.phone.media_control import NoMediaEngine
from siperb.sip.transaction import Timers
from siperb.sip.transport import TraceRecord

T = TypeVar("T")
FAST = Timers(t1=0.05, t2=0.5, t4=0.5)


def run(coro: Awaitable[T], timeout: float = 30.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))  # type: ignore[arg-type]


class Frame:
    """A PhoneFrame double recording every call (async methods, like a real UI bridge)."""

    def __init__(self) -> None:
        self.configured: list[dict[str, Any]] = []
        self.toasts: list[tuple[str, str | None]] = []
        self.states: list[tuple[str, dict[str, Any]]] = []

    async def configure(self, ui_options: dict[str, Any]) -> None:
        self.configured.append(ui_options)

    def toast(self, message: str, title: str | None) -> None:
        self.toasts.append((message, title))

    def state_changed(self, event: str, data: dict[str, Any]) -> None:
        self.states.append((event, data))


def options(svc: LoopbackService, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Provisioning": manual_provisioning(svc.port),
        "PhoneFrame": None,
        "ProfileUserId": "unit",
        "SessionId": "s-1",
        "UserId": "u-1",
        "Language": "en",
    }
    base.update(extra)
    return base


async def phone_on(svc: LoopbackService, media_control: Any = None, **extra: Any) -> Phone:
    return await siperb.ProvisionPhone(options(svc, **extra), history_path=MEMORY,
                                       media_control=media_control,
                                       user_agent_options={"timers": FAST})  # fmt: skip


async def settle(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``check()`` holds (events and frame calls are delivered on the loop)."""

    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


# ---- provisioning, OnLoad, frame ----


def test_provision_phone_dark_mode_onload_toast_and_frame() -> None:
    async def main() -> None:
        async with LoopbackService() as svc:
            frame = Frame()
            loaded: list[bool] = []
            phone: Phone | None = None

            def on_load() -> None:  # the SDK example: phone.Toast('Welcome back') in OnLoad
                assert phone is not None, "OnLoad ran before ProvisionPhone returned"
                loaded.append(phone.registered)
                phone.Toast("Welcome back")

            phone = await phone_on(svc, PhoneFrame=frame, UiThemeStyle="dark", OnLoad=on_load)
            async with phone:
                await phone.wait_loaded(5)
                assert loaded == [True]
                assert svc.registered(DEMO_USER)
                await settle(lambda: ("Welcome back", None) in frame.toasts)
                assert len(frame.configured) == 1
                ui = frame.configured[0]
                assert ui["UiThemeStyle"] == "dark" and ui["Language"] == "en"
                assert ui["EnableCallTransfer"] is True and ui["EnableSettings"] is False
                events = [name for name, _ in frame.states]
                assert events[:2] == ["registering", "registered"]
            assert not svc.registered(DEMO_USER)  # close() unregistered

    run(main())


def test_async_onload_and_snake_case_provisioning() -> None:
    async def main() -> None:
        async with LoopbackService() as svc:
            order: list[str] = []

            async def on_load() -> None:
                await asyncio.sleep(0.01)
                order.append("loaded")

            phone = await siperb.provision_phone(
                provisioning=manual_provisioning(svc.port), profile_user_id="p",
                session_id="s", user_id="u", on_load=on_load, history_path=MEMORY,
            )  # fmt: skip
            order.append("returned")
            async with phone:
                await phone.wait_loaded(5)
                assert order == ["returned", "loaded"]

    run(main())


def test_onload_failure_is_reported_not_fatal() -> None:
    async def main() -> None:
        async with LoopbackService() as svc:

            def on_load() -> None:
                raise RuntimeError("app bug")

            async with await phone_on(svc, OnLoad=on_load) as phone:
                with pytest.raises(RuntimeError, match="app bug"):
                    await phone.wait_loaded(5)
                assert phone.registered

    run(main())


def test_language_reaches_frame_toasts_and_labels() -> None:
    async def main() -> None:
        async with LoopbackService() as svc:
            frame = Frame()
            async with await phone_on(svc, PhoneFrame=frame, Language="de") as phone:
                de = Translator("de")
                labels: list[str] = []
                phone.on("session_state_change", lambda ev: labels.append(ev["label"]))
                call = await phone.dial("echo")
                await call.wait_for("established", timeout=5)
                await phone.mute()
                await phone.end_call()
                await call.wait_ended(5)
                assert frame.configured[0]["Language"] == "de"
                assert de.t("call.state.connected") in labels
                assert de.t("call.state.ended") in labels
                await settle(lambda: (de.t("toast.muted"), None) in frame.toasts)
                assert de.t("toast.muted") != Translator("en").t("toast.muted")

    run(main())


def test_wrong_password_raises_registration_error_with_status_and_event() -> None:
    async def main() -> None:
        async with LoopbackService() as svc:
            prov = manual_provisioning(svc.port).to_dict()
            prov["SipPassword"] = "wrong"
            opts = siperb.PhoneOptions.from_dict(options(svc, Provisioning=prov))
            phone = Phone(opts, history_path=MEMORY)
            failures: list[Event] = []
            phone.on("registration_failed", failures.append)
            with pytest.raises(siperb.RegistrationError) as info:
                await phone.start()
            assert info.value.status == 401
            assert failures and failures[0]["status"] == 401
            assert "401" in failures[0]["label"] or failures[0]["reason"] in failures[0]["label"]
            assert DEMO_PASSWORD != "wrong" and not svc.registered(DEMO_USER)

    run(main())


def test_unreachable_server_raises_transport_error() -> None:
    async def main() -> None:
        async with LoopbackService() as svc:
            port = svc.port
        frame = Frame()  # the service is closed now: nothing listens on its port
        opts = siperb.PhoneOptions.from_dict(options(svc, PhoneFrame=frame))
        phone = Phone(opts, history_path=MEMORY)
        seen: list[Event] = []
        phone.on("registration_failed", seen.append)
        with pytest.raises(TransportError):
            await phone.start()
        assert seen and seen[0]["status"] == 0
        assert any(f"127.0.0.1:{port}" in text for text, _ in frame.toasts)

    run(main())


def test_proxy_mode_sends_siperb_headers_on_register_and_invite() -> None:
    async def main() -> None:
        async with LoopbackService() as svc:
            prov = manual_provisioning(svc.port).to_dict()
            prov["RegistrationMode"] = "Proxy"
            sent: list[bytes] = []

            def trace(rec: TraceRecord) -> None:
                if rec.direction == "out":
                    sent.append(rec.data)

            phone = await siperb.ProvisionPhone(
                options(svc, Provisioning=prov, SessionId="sess-42", UserId="user-7"),
                history_path=MEMORY, user_agent_options={"trace": trace},
            )  # fmt: skip
            async with phone:
                call = await phone.dial("echo")
                await call.wait_for("established", timeout=5)
            for method in (b"REGISTER", b"INVITE"):
                first = [m for m in sent if m.startswith(method + b" ")]
                assert first, method
                assert all(b"X-Siperb-Sid: sess-42\r\n" in m for m in first)
                assert all(b"X-Siperb-Uid: user-7\r\n" in m for m in first)
            bye = [m for m in sent if m.startswith(b"BYE ")]
            assert bye and b"X-Siperb-Sid" not in bye[0]

    run(main())


# ---- events ----


def test_events_as_callbacks_and_iterators_follow_a_call() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            seen: list[str] = []
            phone.On("session_state_change", lambda ev: seen.append(ev["state"]))
            sub = phone.events("session_state_change", "toast")
            call = await phone.Dial("echo")
            await call.wait_for("established", timeout=5)
            await phone.Hold()
            assert call.state == "on_hold" and call.held
            await phone.Unhold()
            await phone.EndCall()
            await call.wait_ended(5)
            expected = ["calling", "established", "on_hold", "established", "terminated"]
            assert [s for s in seen if s != "ringing"] == expected
            got: list[tuple[str, str]] = []
            while sub.qsize():
                ev = await sub.get(1)
                got.append((ev.name, ev.get("state") or ev.get("message")))
            sub.close()
            states = [v for n, v in got if n == "session_state_change" and v != "ringing"]
            assert states == expected
            toasts = [v for n, v in got if n == "toast"]
            assert toasts == [
                Translator("en").t("toast.on_hold"),
                Translator("en").t("toast.resumed"),
            ]

    run(main())


def test_dtmf_reaches_the_echo_peer() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=5)
            await phone.send_dtmf("4#*")
            assert svc.echo_calls[-1].dtmf_received == ["4", "#", "*"]
            with pytest.raises(SiperbError, match="DTMF"):
                await phone.send_dtmf("x")

    run(main())


# ---- history ----


def test_history_rows_for_answered_and_failed_calls(tmp_path: Path) -> None:
    async def main() -> None:
        db = tmp_path / "h.sqlite3"
        async with LoopbackService() as svc:
            phone = await siperb.ProvisionPhone(options(svc, ProfileUserId="alice"),
                                                history_path=db)  # fmt: skip
            async with phone:
                call = await phone.dial("echo")
                await call.wait_for("established", timeout=5)
                await asyncio.sleep(0.05)
                await call.hangup()
                answered = await call.wait_ended(5)
                nobody = await phone.dial("nobody")
                failed = await nobody.wait_ended(5)
                rows = await phone.GetHistory()
            assert answered is not None and failed is not None
            assert answered.outcome == "answered" and answered.hangup_by == "local"
            assert answered.direction == "outbound" and answered.duration is not None
            assert answered.duration > 0 and answered.remote_uri == f"sip:echo@{svc.domain}"
            assert answered.call_id == call.call_id
            assert failed.outcome == "declined" and failed.sip_status == 404  # CallRejected
            assert failed.hangup_by == "remote"
            assert [r.call_id for r in rows] == [failed.call_id, answered.call_id]
            # Another profile in the same file sees nothing; the same profile sees both.
            other = siperb.History("bob", db)
            assert other.list() == []
            other.close()
            same = siperb.History("alice", db)
            assert len(same.list()) == 2
            same.close()

    run(main())


def test_clear_history() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=5)
            await call.hangup()
            await call.wait_ended(5)
            assert len(await phone.history()) == 1
            assert await phone.ClearHistory() == 1
            assert await phone.history() == []

    run(main())


# ---- Enable* enforcement ----

DISABLED = {
    "EnableCallTransfer": False,
    "EnableCallHold": False,
    "EnableCallMute": False,
    "EnableCallRecording": False,
    "EnableDeviceSelector": False,
    "EnableDialPad": False,
    "EnableSettings": False,
}


def test_every_disabled_feature_is_refused_before_anything_is_sent() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc, **DISABLED) as phone:
            call = await phone.dial(f"sip:echo@{svc.domain}")  # a full URI needs no dial pad
            await call.wait_for("established", timeout=5)
            before = dict(svc.counts)
            refused: dict[str, Callable[[], Awaitable[Any]]] = {
                "EnableCallTransfer": lambda: phone.blind_transfer(f"sip:x@{svc.domain}"),
                "EnableCallHold": phone.hold,
                "EnableCallMute": phone.mute,
                "EnableCallRecording": phone.start_recording,
                "EnableDeviceSelector": lambda: phone.select_device(input="mic"),
                "EnableDialPad": lambda: phone.send_dtmf("1"),
                "EnableSettings": lambda: phone.settings.set("ring", "loud"),
            }
            more: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                ("EnableCallTransfer", lambda: phone.attended_transfer(f"sip:x@{svc.domain}")),
                ("EnableCallTransfer", phone.complete_transfer),
                ("EnableCallTransfer", phone.cancel_transfer),
                ("EnableCallHold", phone.unhold),
                ("EnableCallMute", phone.unmute),
                ("EnableCallRecording", phone.stop_recording),
                ("EnableSettings", lambda: phone.settings.delete("ring")),
                ("EnableDialPad", lambda: phone.dial("1001")),
                ("EnableDialPad", lambda: call.send_dtmf("1")),
                ("EnableCallHold", call.hold),
            ]
            for option, action in [*refused.items(), *more]:
                with pytest.raises(FeatureDisabledError) as info:
                    await action()
                assert info.value.field == option
            with pytest.raises(FeatureDisabledError) as dev:
                phone.devices()
            assert dev.value.field == "EnableDeviceSelector"
            assert svc.counts == before  # nothing reached the server
            assert not call.muted and not call.held
            assert await phone.settings.get("ring", "default") == "default"  # reading is fine
            await call.hangup()

    run(main())


def test_dial_pad_off_history_target(tmp_path: Path) -> None:
    async def main() -> None:
        db = tmp_path / "h.sqlite3"
        async with LoopbackService() as svc:
            opts = options(svc, ProfileUserId="kiosk")
            async with await siperb.ProvisionPhone(opts, history_path=db) as phone:
                call = await phone.dial("echo")
                await call.wait_for("established", timeout=5)
                await call.hangup()
                await call.wait_ended(5)
            opts["EnableDialPad"] = False
            async with await siperb.ProvisionPhone(opts, history_path=db) as phone:
                with pytest.raises(FeatureDisabledError):
                    await phone.dial("typed-number")
                again = await phone.dial("echo")  # in this profile's history
                assert again.remote_uri == f"sip:echo@{svc.domain}"
                listed = await phone.dial("someone", known=["someone"])  # from the app's contacts
                await listed.wait_ended(5)
                assert listed.status == 404
                await again.hangup()

    run(main())


def test_enabled_features_work_or_say_the_media_engine_is_missing() -> None:
    async def main() -> None:
        async with (
            LoopbackService() as svc,
            await phone_on(svc, media_control=NoMediaEngine(), EnableSettings=True) as phone,
        ):
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=5)
            mutes: list[bool] = []
            phone.on("mute", lambda ev: mutes.append(ev["muted"]))
            await phone.Mute()
            assert call.muted
            await phone.Unmute()
            assert mutes == [True, False] and not call.muted
            with pytest.raises(MediaError, match="media engine not available"):
                await phone.StartRecording()
            assert not call.recording
            with pytest.raises(MediaError, match="media engine not available"):
                phone.GetDevices()
            with pytest.raises(MediaError):
                await phone.SelectDevice(input="mic")
            await phone.settings.set("ring", {"volume": 3})
            assert await phone.settings.get("ring") == {"volume": 3}
            assert await phone.settings.delete("ring")
            with pytest.raises(SiperbError, match="no attended transfer"):
                await phone.CompleteTransfer()

    run(main())


def test_media_control_plugs_in_for_recording_and_devices() -> None:
    class FakeControl:
        """Stands in for the media engine's control (only to test the wiring)."""

        def __init__(self) -> None:
            self.log: list[tuple[str, Any]] = []

        def devices(self) -> list[Any]:
            return ["in:mic", "out:speaker"]

        def select_device(self, *, input: str | None, output: str | None) -> None:
            self.log.append(("select", (input, output)))

        def set_muted(self, call: Any, muted: bool) -> None:
            self.log.append(("mute", muted))

        def start_recording(self, call: Any, path: str | None) -> Any:
            self.log.append(("start", path))
            return path

        def stop_recording(self, call: Any) -> Any:
            self.log.append(("stop", None))
            return "done.wav"

    async def main() -> None:
        ctl = FakeControl()
        async with LoopbackService() as svc:
            phone = await siperb.ProvisionPhone(options(svc), history_path=MEMORY,
                                                media_control=ctl)  # fmt: skip
            async with phone:
                call = await phone.dial("echo")
                await call.wait_for("established", timeout=5)
                names: list[str] = []
                phone.on("*", lambda ev: names.append(ev.name))
                assert phone.devices() == ["in:mic", "out:speaker"]
                await phone.select_device(input="mic")
                await phone.start_recording(path="x.wav")
                assert call.recording
                assert await phone.stop_recording() == "done.wav"
                await phone.mute()
                assert ctl.log == [("select", ("mic", None)), ("start", "x.wav"), ("stop", None),
                                   ("mute", True)]  # fmt: skip
                assert "recording_started" in names and "recording_ended" in names
                assert await phone.settings.get("audio.input") == "mic"

    run(main())


def test_toast_translates_catalogue_keys_and_passes_text() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc, Language="fr") as phone:
            ev = phone.toast("toast.phone_ready", title="Siperb")
            assert ev["message"] == Translator("fr").t("toast.phone_ready")
            assert ev["title"] == "Siperb"
            assert phone.Toast("Bonjour")["message"] == "Bonjour"

    run(main())


def test_actions_without_a_call_say_so() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, await phone_on(svc) as phone:
            for action in (phone.answer, phone.end_call, phone.hold):
                with pytest.raises(SiperbError, match=r"no (incoming )?call"):
                    await action()
            with pytest.raises(SiperbError, match="empty"):
                await phone.dial("  ")

    run(main())


def test_unknown_option_is_refused_before_connecting() -> None:
    async def main() -> None:
        with pytest.raises(siperb.errors.OptionsError, match="EnableCallHold"):
            await siperb.ProvisionPhone({"EnableCallHlod": True})

    run(main())
