"""Python twins of the Siperb SDK reference page's ProvisionPhone examples, run for real.

Each example provisions a phone over WebSocket to Kamailio (``kamailio.ws_url(False)``; the
provisioning is built from the fixture's host, WS port and path), and baresip is the far end:
we call it, or it calls us. Signalling and SDP only (no media engine yet).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from test_ua_common import FAST, blocking, run

import siperb
from peers.baresip import CALL_CLOSED, CALL_ESTABLISHED, CALL_INCOMING, Baresip
from peers.kamailio import DOMAIN, WS_PATH, Kamailio
from peers.procs import PeerError
from siperb.errors import FeatureDisabledError
from siperb.events import Event
from siperb.phone import Phone

pytestmark = pytest.mark.integration
Factory = Callable[..., Baresip]


class Frame:
    """document.getElementById("phone"): records what the phone shows."""

    def __init__(self) -> None:
        self.configured: list[dict[str, Any]] = []
        self.toasts: list[str] = []
        self.states: list[str] = []

    def configure(self, ui_options: dict[str, Any]) -> None:
        self.configured.append(ui_options)

    def toast(self, message: str, title: str | None) -> None:
        self.toasts.append(message)

    def state_changed(self, event: str, data: dict[str, Any]) -> None:
        self.states.append(str(data.get("state", event)))


def provisioning_for(kam: Kamailio, user: str = "1000", **extra: Any) -> dict[str, Any]:
    """A manual provisioning object pointing at the Kamailio fixture (ws:// on loopback)."""
    assert kam.ws_url(False) == f"ws://{kam.host}:{kam.ports.ws}{WS_PATH}"
    prov = {
        "RegistrationMode": "Socket",
        "profileName": "Kamailio lab",
        "SipWssServer": f"ws://{kam.host}",
        "SipUsername": user,
        "SipPassword": kam.accounts[user],
        "SipDomain": DOMAIN,
        "ProfileUserName": f"User {user}",
        "SipContact": "",
        "SipWebsocketPort": kam.ports.ws,
        "SipServerPath": WS_PATH,
    }
    prov.update(extra)
    return prov


async def provision(options: dict[str, Any], tmp: Any) -> Phone:
    return await siperb.ProvisionPhone(options, history_path=tmp / "history.sqlite3",
                                       user_agent_options={"timers": FAST})  # fmt: skip


async def settle(check: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


@pytest.mark.timeout(60)
def test_minimal_setup_we_call_baresip(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Any
) -> None:
    bob = baresip_factory("1001")
    session = {"SessionToken": "tok-1", "UserId": "uid-1"}  # what Login() would return

    async def main() -> None:
        frame = Frame()
        phone = await provision({
            "Provisioning": provisioning_for(kamailio),
            "PhoneFrame": frame,
            "ProfileUserId": "user",
            "SessionId": session["SessionToken"],
            "UserId": session["UserId"],
        }, tmp_path)  # fmt: skip
        async with phone:
            assert phone.registered
            assert kamailio.contacts("1000")
            call = await phone.Dial("1001")
            await blocking(bob.await_event, CALL_INCOMING, 10)
            await blocking(bob.accept)
            await call.wait_for("established", timeout=10)
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            await phone.EndCall()
            await blocking(bob.await_event, CALL_CLOSED, 10)
            record = await call.wait_ended(10)
            assert record is not None and record.outcome == "answered"
            assert record.direction == "outbound" and record.hangup_by == "local"
            assert record.remote_uri == f"sip:1001@{DOMAIN}"
            # Defaults of the page: light theme, every Enable* default, language resolved.
            ui = frame.configured[0]
            assert ui["UiThemeStyle"] == "light" and ui["EnableSettings"] is False
            assert ui["EnableDialPad"] is True and ui["Language"] in siperb.i18n.LANGUAGES
            await settle(lambda: "terminated" in frame.states)
            assert frame.states.index("established") < frame.states.index("terminated")

    run(main(), 55)


@pytest.mark.timeout(60)
def test_dark_mode_with_callbacks_baresip_calls_us(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Any
) -> None:
    bob = baresip_factory("1001")

    async def main() -> None:
        frame = Frame()
        log: list[str] = []
        phone: Phone | None = None

        def on_load() -> None:
            log.append("Phone ready")  # console.log('Phone ready')
            assert phone is not None
            phone.Toast("Welcome back")

        phone = await provision({
            "Provisioning": provisioning_for(kamailio),
            "PhoneFrame": frame,
            "ProfileUserId": "user",
            "SessionId": "session-token",
            "UserId": "user-id",
            "UiThemeStyle": "dark",
            "OnLoad": on_load,
        }, tmp_path)  # fmt: skip
        async with phone:
            await phone.wait_loaded(5)
            assert log == ["Phone ready"]
            await settle(lambda: "Welcome back" in frame.toasts)
            assert frame.configured[0]["UiThemeStyle"] == "dark"

            answered: list[Event] = []

            async def on_incoming(ev: Event) -> None:
                answered.append(ev)
                await ev["call"].answer()

            phone.on("incoming_call", on_incoming)
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            call = answered[0]["call"]
            assert "1001" in answered[0]["caller"] and call.direction == "inbound"
            await blocking(bob.hangup)
            record = await call.wait_ended(10)
            assert record is not None and record.outcome == "answered"
            assert record.direction == "inbound" and record.hangup_by == "remote"

    run(main(), 55)


@pytest.mark.timeout(60)
def test_feature_restrictions_refuse_transfer_and_recording(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Any
) -> None:
    bob = baresip_factory("1001")
    carol = baresip_factory("1002", answermode="auto")

    async def main() -> None:
        phone = await provision({
            "Provisioning": provisioning_for(kamailio),
            "PhoneFrame": Frame(),
            "ProfileUserId": "user",
            "SessionId": "session-token",
            "UserId": "user-id",
            "EnableCallTransfer": False,
            # Disable call transfer for restricted users
            "EnableCallRecording": False,
            # Disable recording
        }, tmp_path)  # fmt: skip
        async with phone:
            call = await phone.dial("1001")
            await blocking(bob.await_event, CALL_INCOMING, 10)
            await blocking(bob.accept)
            await call.wait_for("established", timeout=10)
            with pytest.raises(FeatureDisabledError) as transfer:
                await phone.BlindTransfer(call.id, "1002")
            assert transfer.value.field == "EnableCallTransfer"
            with pytest.raises(FeatureDisabledError):
                await phone.AttendedTransfer(call.id, "1002")
            with pytest.raises(FeatureDisabledError) as rec:
                await phone.StartRecording(call.id)
            assert rec.value.field == "EnableCallRecording"
            # Still talking to bob, and carol was never called.
            assert call.state == "established"
            with pytest.raises(PeerError, match="no CALL_INCOMING"):
                await blocking(carol.await_event, CALL_INCOMING, 0.5)
            await phone.Hold()  # not restricted
            assert call.state == "on_hold"
            await phone.Unhold()
            await phone.EndCall()
            await blocking(bob.await_event, CALL_CLOSED, 10)

    run(main(), 55)


@pytest.mark.timeout(60)
def test_manual_provisioning_registers_and_declines(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Any
) -> None:
    bob = baresip_factory("1001")

    async def main() -> None:
        manual = provisioning_for(kamailio, profileName="Direct PBX", ProfileUserName="John Doe",
                                  SipContact="johndoe")  # fmt: skip
        phone = await provision({
            "Provisioning": manual,
            "PhoneFrame": Frame(),
            "ProfileUserId": "user-123",
            "SessionId": "session-token",
            "UserId": "user-id",
        }, tmp_path)  # fmt: skip
        async with phone:
            contacts = await blocking(kamailio.wait_registered, "1000")
            assert any("johndoe@" in c for c in contacts), contacts  # SipContact is the user
            sub = phone.events("incoming_call")
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            ev = await sub.get(10)
            sub.close()
            await phone.Decline(ev["call"])
            closed = await blocking(bob.await_event, CALL_CLOSED, 10)
            assert "603" in str(closed) or "Decline" in str(closed)
            record = await ev["call"].wait_ended(10)
            assert record is not None and record.outcome == "declined"
            assert record.sip_status == 603 and record.hangup_by == "local"
        assert not await blocking(kamailio.contacts, "1000")  # unregistered on close

    run(main(), 55)
