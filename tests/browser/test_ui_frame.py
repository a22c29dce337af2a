"""The PhoneFrame web UI in Debian's Chromium, embedded in an iframe by an outer page.

One browser for the module; one loopback SIP service (registrar + echo peer, real SIP over a
real WebSocket) and one phone per test, whose PhoneFrame is a WebFrame. The tests click
through the page as a user would and check both what the page shows and what the phone did.
Screenshots of the main screens go to build/artifacts/ui/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from ui_host import HostPages, PhoneHost

from peers.browser import Browser

pytestmark = pytest.mark.timeout(120)

ALL_OFF = {
    "EnableAvatar": False, "EnableSettings": False, "EnableDialPad": False,
    "EnableCallTransfer": False, "EnableCallHold": False, "EnableCallMute": False,
    "EnableCallRecording": False, "EnableDeviceSelector": False,
}  # fmt: skip


def wait_until(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not {what} within {timeout} s")


class Session:
    """A phone, its frame, and the outer page embedding it."""

    def __init__(self, host: PhoneHost, site: HostPages, browser: Browser, *,
                 size: tuple[int, int] = (320, 320), context: dict[str, Any] | None = None,
                 **options: Any) -> None:  # fmt: skip
        self.host = host
        self.phone, self.frame = host.phone(allowed_origins=[site.origin], **options)
        self.page = browser.new_page(viewport={"width": size[0], "height": size[1]},
                                     **(context or {}))  # fmt: skip
        self.page.goto(site.embed(f"/{id(self)}", self.frame.url, width=size[0], height=size[1]))
        self.f = self.page.frame_locator("#phone")
        expect(self.f.locator("#reg")).to_have_attribute("data-state", "registered")

    def shot(self, artifacts: Path, name: str) -> None:
        self.page.screenshot(path=str(artifacts / f"{name}.png"))

    def calls(self) -> list[Any]:
        return list(self.phone.calls)

    def close(self) -> None:
        self.page.context.close()
        self.host.close_phone(self.phone, self.frame)


@pytest.fixture
def session(host: PhoneHost, site: HostPages, browser: Browser) -> Iterator[Callable[..., Session]]:
    made: list[Session] = []

    def make(**kwargs: Any) -> Session:
        s = Session(host, site, browser, **kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()
    errors, browser.console_errors[:] = list(browser.console_errors), []
    assert errors == [], errors  # the page logged no error in any test


def dial_echo(s: Session) -> None:
    s.f.locator("#target").fill("echo")
    s.f.locator("#target").press("Enter")
    expect(s.f.locator(".callline[data-state=established]")).to_have_count(1)


def test_dial_the_echo_peer_hold_mute_dtmf_record_hang_up(
    session: Callable[..., Session], host: PhoneHost, artifacts: Path
) -> None:
    s = session(EnableSettings=True)
    s.shot(artifacts, "dial-320")
    # the dial pad: digits and backspace edit the field
    for key in "12":
        s.f.locator(f'#pad button[data-key="{key}"]').click()
    s.f.locator("#btn-backspace").click()
    expect(s.f.locator("#target")).to_have_value("1")
    s.f.locator("#target").fill("")
    # a pasted phone number loses its formatting
    s.f.locator("#target").evaluate(
        """el => { const dt = new DataTransfer(); dt.setData('text', '+1 (555) 010-0100');
        el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true,
                                                        cancelable: true})); }"""
    )
    expect(s.f.locator("#target")).to_have_value("+15550100100")
    s.f.locator("#target").fill("")
    dial_echo(s)
    expect(s.f.locator("#quality")).to_contain_text("MOS")  # stats arrive once a second
    expect(s.f.locator(".timer")).to_have_text(re.compile(r"00:0\d"))
    s.shot(artifacts, "in-call-320")
    call = s.calls()[0]

    s.f.locator("#btn-hold").click()
    expect(s.f.locator("#btn-hold")).to_have_attribute("aria-pressed", "true")
    wait_until(lambda: call.held, "held by the phone")
    s.f.locator("#btn-hold").click()
    wait_until(lambda: not call.held, "resumed")

    s.f.locator("#btn-mute").click()
    expect(s.f.locator("#btn-mute")).to_have_attribute("aria-pressed", "true")
    wait_until(lambda: call.muted, "muted")
    s.f.locator("#btn-mute").click()
    wait_until(lambda: not call.muted, "unmuted")

    infos = host.svc.counts.get("INFO", 0)
    s.f.locator("#btn-keypad").click()
    s.f.locator('#incall-pad button[data-key="5"]').click()
    box = s.f.locator("#btn-hangup").bounding_box()  # fits 320x320 with the keypad open
    assert box is not None and box["y"] + box["height"] <= 320, box
    s.shot(artifacts, "in-call-keypad-320")
    wait_until(lambda: any(e[1] == "dtmf_sent" for e in call._events), "DTMF sent")
    wait_until(lambda: host.svc.counts.get("INFO", 0) > infos, "SIP INFO at the peer")

    s.f.locator("#btn-record").click()
    expect(s.f.locator("#btn-record")).to_have_attribute("aria-pressed", "true")
    wait_until(lambda: call.recording, "recording")
    s.f.locator("#btn-record").click()
    wait_until(lambda: not call.recording and call.recording_path is not None, "recorded")
    assert Path(call.recording_path).stat().st_size > 44  # a WAV with audio in it

    s.f.locator("#btn-hangup").click()
    expect(s.f.locator("#app")).to_have_attribute("data-view", "dial")
    wait_until(lambda: not s.calls(), "hung up")
    s.f.locator("#btn-history").click()
    expect(s.f.locator("#history li")).to_have_count(1)
    expect(s.f.locator("#history li").first).to_contain_text("echo@127.0.0.1")
    expect(s.f.locator("#history li .sub").first).to_contain_text(re.compile(r"Outgoing · 00:\d\d"))
    s.shot(artifacts, "history-320")
    # The host page got the SDK's events, from the frame's origin only.
    events = s.page.evaluate("window.sdkEvents")
    assert events and {e["origin"] for e in events} == {s.frame.origin}
    names = {e["data"]["Event"] for e in events}
    assert {"SessionStateChange", "Mute", "RecordingStarted", "CallRecorded"} <= names, names
    started = next(e["data"] for e in events if e["data"]["Event"] == "RecordingStarted")
    assert started["Data"]["Path"] == Path(call.recording_path).name  # no local directory
    # call back from the history row
    s.f.locator("#history li button").first.click()
    expect(s.f.locator(".callline[data-state=established]")).to_have_count(1)
    s.f.locator("#btn-hangup").click()
    wait_until(lambda: not s.calls(), "hung up")


def test_incoming_call_answer_decline_and_missed_badge(
    session: Callable[..., Session], host: PhoneHost, artifacts: Path
) -> None:
    s = session()
    host.run(host.svc.call("demo"))
    expect(s.f.locator("#incoming")).to_be_visible()
    expect(s.f.locator("#incoming-who")).to_contain_text("echo")
    expect(s.f.locator("#incoming-avatar")).to_have_text("EC")  # initials of the user part
    s.shot(artifacts, "incoming-320")
    inner = s.page.frames[1]
    assert inner.evaluate("siperbFrame.ringing()") is True  # the ringtone (WebAudio) plays
    s.f.locator("#btn-answer").click()
    expect(s.f.locator(".callline[data-state=established]")).to_have_count(1)
    expect(s.f.locator("#incoming")).to_be_hidden()
    assert inner.evaluate("siperbFrame.ringing()") is False
    s.f.locator("#btn-hangup").click()
    wait_until(lambda: not s.calls(), "hung up")

    host.run(host.svc.call("demo"))
    expect(s.f.locator("#incoming")).to_be_visible()
    s.f.locator("#btn-decline").click()
    expect(s.f.locator("#incoming")).to_be_hidden()
    wait_until(lambda: not s.calls(), "declined")

    ringing = host.run(host.svc.call("demo"))
    expect(s.f.locator("#incoming")).to_be_visible()
    host.run(ringing.hangup())  # the caller gives up: a missed call
    expect(s.f.locator("#incoming")).to_be_hidden()
    expect(s.f.locator("#missed")).to_have_text("1")
    s.f.locator("#btn-history").click()
    expect(s.f.locator("#missed")).to_be_hidden()
    expect(s.f.locator("#history li.missed")).to_have_count(1)
    expect(s.f.locator("#history li")).to_have_count(3)  # answered, declined, missed
    expect(s.f.locator("#history li .sub").nth(1)).to_contain_text("The call was declined")


def test_call_waiting_answers_a_second_call_and_swaps(
    session: Callable[..., Session], host: PhoneHost, artifacts: Path
) -> None:
    s = session(size=(400, 640))
    dial_echo(s)
    host.run(host.svc.call("demo"))
    expect(s.f.locator("#incoming")).to_be_visible()
    s.f.locator("#btn-answer").click()
    expect(s.f.locator(".callline")).to_have_count(2)
    first, second = sorted(s.calls(), key=lambda c: c.start_time)
    wait_until(lambda: first.held and not second.held, "first call held for the second")
    s.shot(artifacts, "call-waiting-400x640")
    s.f.locator(f'.callline[data-call="{first.id}"] button').click()
    wait_until(lambda: second.held and not first.held, "swapped")
    for left in (1, 0):
        s.f.locator("#btn-hangup").click()
        expect(s.f.locator(".callline")).to_have_count(left)
    wait_until(lambda: not s.calls(), "both hung up")


def test_attended_transfer_cancel_and_blind_transfer(
    session: Callable[..., Session], host: PhoneHost
) -> None:
    s = session(size=(400, 640))
    dial_echo(s)
    original = s.calls()[0]
    s.f.locator("#btn-transfer").click()
    s.f.locator("#transfer-target").fill("echo")
    s.f.locator("#btn-attended").click()
    expect(s.f.locator("#consult-box")).to_be_visible()
    expect(s.f.locator(".callline")).to_have_count(2)
    wait_until(lambda: original.held, "original held during the consultation")
    s.f.locator("#btn-cancel-transfer").click()
    expect(s.f.locator(".callline")).to_have_count(1)
    wait_until(lambda: not original.held, "original resumed after the cancel")

    s.f.locator("#btn-transfer").click()
    s.f.locator("#transfer-target").fill("echo")
    s.f.locator("#btn-blind").click()
    # The echo peer accepts the REFER and calls the target, which the loopback service routes
    # back to this phone: answering it completes the transfer (the final NOTIFY is a 200).
    expect(s.f.locator("#incoming")).to_be_visible()
    s.f.locator("#btn-answer").click()
    expect(s.f.locator(".toast").filter(has_text="Call transferred")).to_have_count(1)
    # (the loopback echo follows the REFER by calling back in: hang up whatever is left)
    for call in s.calls():
        host.run(s.phone.end_call(call))
    wait_until(lambda: not s.calls(), "calls ended")


def test_every_disabled_feature_is_hidden_and_refused_by_the_server(
    session: Callable[..., Session], host: PhoneHost, artifacts: Path
) -> None:
    s = session(**ALL_OFF)
    for sel in ("#avatar", "#btn-settings", "#btn-devices", "#dial-entry", "#pad"):
        expect(s.f.locator(sel)).to_be_hidden()
    frame = s.page.frames[1]
    # dialling a full SIP URI is allowed without the dial pad (as from a directory)
    frame.evaluate(f"siperbFrame.send('dial', {{target: 'sip:echo@127.0.0.1:{host.svc.port}'}})")
    expect(s.f.locator(".callline[data-state=established]")).to_have_count(1)
    for sel in ("#btn-hold", "#btn-mute", "#btn-transfer", "#btn-record", "#btn-keypad"):
        expect(s.f.locator(sel)).to_be_hidden()
    s.shot(artifacts, "all-disabled-in-call-320")
    call = s.calls()[0]
    refused = [
        ("hold", "{on: true}", "EnableCallHold"),
        ("mute", "{on: true}", "EnableCallMute"),
        ("record", "{on: true}", "EnableCallRecording"),
        ("dtmf", "{digits: '1'}", "EnableDialPad"),
        ("transfer", "{target: 'echo', mode: 'blind'}", "EnableCallTransfer"),
        ("devices", "{}", "EnableDeviceSelector"),
        ("set_setting", "{key: 'DtmfType', value: 'inband'}", "EnableSettings"),
        ("dial", "{target: 'echo'}", "EnableDialPad"),
    ]
    for op, args, option in refused:
        assert frame.evaluate(f"siperbFrame.send('{op}', {args})") is None, op
        expect(s.f.locator(f'.toast.error[data-error-field="{option}"]').last).to_be_visible()
    assert not call.held and not call.muted and not call.recording and len(s.calls()) == 1
    s.f.locator("#btn-hangup").click()
    wait_until(lambda: not s.calls(), "hung up")


def _background(s: Session) -> str:
    return str(s.f.locator("body").evaluate("b => getComputedStyle(b).backgroundColor"))


LIGHT, DARK = "rgb(255, 255, 255)", "rgb(16, 22, 20)"


def test_themes_light_dark_and_system_under_both_schemes(
    session: Callable[..., Session], artifacts: Path
) -> None:
    s = session(EnableSettings=True, UiThemeStyle="dark", size=(400, 640))
    expect(s.f.locator("html")).to_have_attribute("data-theme", "dark")
    assert _background(s) == DARK
    s.shot(artifacts, "dark-400x640")
    s.f.locator("#btn-devices").click()  # the native device list (PortAudio) feeds it
    expect(s.f.locator("#dev-input option").first).to_have_text("System default")
    expect(s.f.locator("#dev-output option").first).to_have_text("System default")
    expect(s.f.locator("#dev-ringer option").first).to_have_text("System default")
    s.f.locator("#view-devices .back").click()
    s.f.locator("#btn-settings").click()
    expect(s.f.locator("#acct-aor")).to_have_text(re.compile(r"^sip:demo@127\.0\.0\.1"))
    s.shot(artifacts, "settings-400x640")
    s.f.locator("#set-theme").select_option("light")
    expect(s.f.locator("html")).to_have_attribute("data-theme", "light")
    assert _background(s) == LIGHT
    s.f.locator("#set-theme").select_option("system")
    expect(s.f.locator("html")).to_have_attribute("data-theme", "system")
    for scheme, colour in (("dark", DARK), ("light", LIGHT), ("dark", DARK)):
        s.page.emulate_media(color_scheme=scheme)  # the page follows it live
        wait_until(lambda c=colour: _background(s) == c, f"{scheme} background")  # type: ignore[misc]
    s.shot(artifacts, "system-dark-400x640")
    s.f.locator("#set-language").select_option("he")  # the settings panel's language
    expect(s.f.locator("html")).to_have_attribute("dir", "rtl")
    expect(s.f.locator("#set-language option").first).to_have_text("שפת הדפדפן")
    s.f.locator("#set-language").select_option("auto")  # back to the browser's (en-US)
    expect(s.f.locator("html")).to_have_attribute("lang", "en")
    assert "demo-secret" not in s.f.locator("html").inner_html()  # the password never shows


@pytest.mark.parametrize(
    ("locale", "lang", "direction", "dial"),
    [("en-US", "en", "ltr", "Call"), ("ja-JP", "ja", "ltr", "発信"),
     ("he-IL", "he", "rtl", "חייג")],
)  # fmt: skip
def test_languages_from_the_browser_with_rtl_for_hebrew(
    session: Callable[..., Session], artifacts: Path, locale: str, lang: str, direction: str,
    dial: str,
) -> None:  # fmt: skip
    s = session(Language="auto", context={"locale": locale})
    html = s.f.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", direction)
    expect(s.f.locator("#btn-dial")).to_have_text(dial)
    expect(s.f.locator("#target")).to_have_css("direction", "ltr")  # numbers stay LTR
    if direction == "rtl":  # the header mirrors: the avatar sits on the right
        box = s.f.locator("#avatar").bounding_box()
        assert box is not None and box["x"] > 160
    s.shot(artifacts, f"lang-{lang}-320")


def test_a_foreign_page_cannot_embed_or_drive_the_frame(
    host: PhoneHost, site: HostPages, browser: Browser
) -> None:
    phone, frame = host.phone(allowed_origins=[])  # the site is not an allowed origin
    page = browser.new_page()
    try:
        page.goto(site.embed("/foreign", frame.url))
        # CSP frame-ancestors: the frame does not render inside the foreign page
        time.sleep(1.0)
        assert len(page.frames) == 2
        assert page.frames[1].evaluate("!!document.getElementById('app')") is False
        ws_url = frame.url.replace("http://", "ws://") + "ws"
        result = page.evaluate(
            """(url) => new Promise((done) => {
                const ws = new WebSocket(url);
                ws.onopen = () => done("open");
                ws.onerror = () => done("refused");
                setTimeout(() => done("timeout"), 5000);
            })""",
            ws_url,
        )
        assert result == "refused"
        assert frame.clients == 0 and phone.calls == []
    finally:
        page.context.close()
        host.close_phone(phone, frame)
        browser.console_errors.clear()  # the refusals above are logged by Chromium, as expected
