"""The PhoneFrame against real peers: a baresip user and a SIPp caller through Kamailio (SIP
over WebSocket).

The phone (user 1000) registers with Kamailio over ws://; baresip (user 1001) registers over
UDP. The page dials baresip and hangs up; baresip calls the phone and the page answers,
sends DTMF that baresip hears, and hangs up; SIPp (UDP) calls the phone, the page answers and
SIPp hangs up.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from ui_host import HostPages, PhoneHost

from peers.baresip import CALL_CLOSED, CALL_DTMF_START, CALL_ESTABLISHED, Baresip, start_baresip
from peers.browser import Browser
from peers.kamailio import DOMAIN, WS_PATH, Kamailio, start_kamailio
from peers.sipp import UAC_CALL, Sipp
from siperb.phone.provisioning import Provisioning

pytestmark = [pytest.mark.timeout(120), pytest.mark.integration]


@pytest.fixture(scope="module")
def kam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kamailio]:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio not installed (Debian package kamailio; scripts/bootstrap.sh)")
    k = start_kamailio(tmp_path_factory.mktemp("kamailio"))
    try:
        yield k
    finally:
        k.stop()


@pytest.fixture(scope="module")
def bob(kam: Kamailio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baresip]:
    if shutil.which("baresip") is None:
        pytest.skip("baresip not installed (Debian package baresip; scripts/bootstrap.sh)")
    kam.unregister("1001")
    ua = start_baresip(tmp_path_factory.mktemp("baresip"), kam, "1001", answermode="auto")
    try:
        yield ua
    finally:
        ua.stop()


def provisioning(kam: Kamailio) -> Provisioning:
    return Provisioning.from_dict({
        "RegistrationMode": "Socket", "profileName": "Kamailio lab",
        "SipWssServer": f"ws://{kam.host}", "SipUsername": "1000",
        "SipPassword": kam.accounts["1000"], "SipDomain": DOMAIN, "ProfileUserName": "User 1000",
        "SipContact": "", "SipWebsocketPort": kam.ports.ws, "SipServerPath": WS_PATH,
    }, secure=False)  # fmt: skip


@pytest.fixture(scope="module")
def phone_page(
    host: PhoneHost, site: HostPages, browser: Browser, kam: Kamailio, bob: Baresip
) -> Iterator[tuple[Any, Any]]:
    phone, frame = host.phone(allowed_origins=[site.origin], provisioning=provisioning(kam))
    page = browser.new_page(viewport={"width": 320, "height": 480})
    page.goto(site.embed("/peers", frame.url, width=320, height=480))
    f = page.frame_locator("#phone")
    expect(f.locator("#reg")).to_have_attribute("data-state", "registered")
    try:
        yield page, f
    finally:
        page.context.close()
        host.close_phone(phone, frame)
        errors, browser.console_errors[:] = list(browser.console_errors), []
        assert errors == [], errors


def test_the_page_dials_a_baresip_user(phone_page: tuple[Any, Any], bob: Baresip,
                                       artifacts: Path) -> None:  # fmt: skip
    page, f = phone_page
    f.locator("#target").fill("1001")
    f.locator("#btn-dial").click()
    bob.await_event(CALL_ESTABLISHED, 15)
    expect(f.locator(".callline[data-state=established]")).to_have_count(1)
    expect(f.locator(".callline .name")).to_contain_text("1001")
    page.screenshot(path=str(artifacts / "baresip-outgoing-320x480.png"))
    f.locator("#btn-hangup").click()
    bob.await_event(CALL_CLOSED, 10)
    expect(f.locator(".callline")).to_have_count(0)


def test_the_page_answers_baresip_and_sends_dtmf(phone_page: tuple[Any, Any],
                                                 bob: Baresip) -> None:  # fmt: skip
    _, f = phone_page
    bob.dial(f"sip:1000@{DOMAIN}")
    expect(f.locator("#incoming")).to_be_visible(timeout=15_000)
    expect(f.locator("#incoming-who")).to_contain_text("1001")
    f.locator("#btn-answer").click()
    bob.await_event(CALL_ESTABLISHED, 15)
    expect(f.locator(".callline[data-state=established]")).to_have_count(1)
    f.locator("#btn-keypad").click()
    f.locator('#incall-pad button[data-key="7"]').click()
    ev = bob.await_event(CALL_DTMF_START, 10)
    assert ev.get("param") == "7", ev
    f.locator("#btn-hangup").click()
    bob.await_event(CALL_CLOSED, 10)
    expect(f.locator(".callline")).to_have_count(0)


def test_the_page_answers_a_sipp_caller(phone_page: tuple[Any, Any], kam: Kamailio,
                                        tmp_path: Path) -> None:  # fmt: skip
    """SIPp (UDP, PCMU) calls user 1000 through Kamailio; the page rings, the user answers,
    SIPp's ACK and, 1.5 s later, its BYE end the call in the page; SIPp counts one success."""
    if shutil.which("sipp") is None:
        pytest.skip("sipp not installed (Debian package sip-tester; scripts/bootstrap.sh)")
    _, f = phone_page
    uac = Sipp(tmp_path / "sipp", UAC_CALL, remote=f"127.0.0.1:{kam.ports.sip}", service="1000",
               keys={"domain": DOMAIN}, pause_ms=1500, timeout_s=20)  # fmt: skip
    try:
        expect(f.locator("#incoming")).to_be_visible(timeout=15_000)
        expect(f.locator("#incoming-who")).to_contain_text("sipp")
        f.locator("#btn-answer").click()
        expect(f.locator(".callline[data-state=established]")).to_have_count(1)
        result = uac.wait(30)
    finally:
        uac.stop()
    assert result.ok, result.errors or result.log[-2000:]
    assert result.count("SuccessfulCall") == 1, result.stats
    expect(f.locator(".callline")).to_have_count(0)  # SIPp's BYE ended it
    expect(f.locator("#history li").first).to_contain_text("sipp")
