"""The PhoneFrame's "This browser" audio device in Chromium: the page's microphone and
speaker carry a call, through a WebRTC leg to the engine bridged inside the engine.

The far end is the loopback service's peer with real engine media that plays a 1000 Hz tone
and records what it hears; Chromium's fake microphone plays a 440 Hz WAV. The page picks "This
browser" in the device selector and dials: the far end must hear 440 Hz (the browser's
microphone went browser -> WebRTC leg -> pipe -> call) and the page's speaker element must
carry 1000 Hz (call -> pipe -> WebRTC leg -> browser), measured with a WebAudio AnalyserNode.
A second page of the same frame is refused the device while the first holds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect
from ui_host import MEASURE_JS, FarEnd, HostPages, PhoneHost, dominant, loopback_host

from peers.audio import write_tone_wav
from peers.browser import Browser, chromium_or_skip, fake_audio_args

pytestmark = [pytest.mark.timeout(120), pytest.mark.integration]

RATE = 16000
FAR_TONE = 1000.0  # what the far end plays
MIC_TONE = 440.0  # Chromium's fake microphone


@pytest.fixture(scope="module")
def far() -> FarEnd:
    return FarEnd(FAR_TONE, RATE)


@pytest.fixture(scope="module")
def tone_host(far: FarEnd) -> Iterator[PhoneHost]:
    with loopback_host(far) as h:
        yield h


@pytest.fixture(scope="module")
def mic_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    wav = write_tone_wav(tmp_path_factory.mktemp("mic") / "mic.wav", (MIC_TONE,), 5.0)
    b = chromium_or_skip(
        extra_args=(*fake_audio_args(wav), "--autoplay-policy=no-user-gesture-required")
    )
    try:
        yield b
    finally:
        b.close()


def _phone(host: PhoneHost, site: HostPages, **provisioning: Any) -> tuple[Any, Any]:
    """(phone, frame) with "This browser"; ``provisioning``: fields replaced in the demo
    provisioning (``turn_server=...``)."""
    import dataclasses

    from siperb.demo import manual_provisioning
    from siperb.media import EngineMediaControl, engine_available
    from siperb.media.call_media import webrtc_available
    from siperb.phone import ProvisionPhone
    from siperb.phone.history import MEMORY
    from siperb.ui import WebFrame

    if not (engine_available() and webrtc_available()):
        pytest.skip("the native engine was built without WebRTC")

    prov = dataclasses.replace(manual_provisioning(host.svc.port), **provisioning)

    async def make() -> tuple[Any, Any]:
        frame = await WebFrame(allowed_origins=[site.origin], browser_audio=True).start()
        phone = await ProvisionPhone(
            {"Provisioning": prov, "PhoneFrame": frame,
             "ProfileUserId": "browser-audio", "SessionId": "s", "UserId": "u"},
            history_path=MEMORY, media_control=EngineMediaControl(auto_device=False),
        )  # fmt: skip
        return phone, frame

    phone, frame = host.run(make())
    host.phones.append((phone, frame))
    return phone, frame


def _bounded_wait(cond: Any, seconds: float) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return bool(cond())


def _inner(page: Any, frame: Any) -> Any:
    return next(f for f in page.frames if f.url.startswith(frame.url))


def _pick_browser_device(page: Any, frame: Any) -> Any:
    f = page.frame_locator("#phone")
    expect(f.locator("#reg")).to_have_attribute("data-state", "registered")
    f.locator("#btn-devices").click()
    expect(f.locator("#dev-input option[value='@browser']")).to_have_count(1)
    f.locator("#dev-input").select_option("@browser")
    inner = _inner(page, frame)
    inner.wait_for_function(
        "() => { const pc = window.siperbFrame.browserLeg();"
        " return pc && pc.connectionState === 'connected'; }", timeout=15_000)  # fmt: skip
    expect(f.locator("#dev-output")).to_have_value("@browser")
    return f


def test_this_browser_carries_the_call_both_ways(
    tone_host: PhoneHost, site: HostPages, mic_browser: Browser, far: FarEnd
) -> None:
    phone, frame = _phone(tone_host, site)
    page = mic_browser.new_page(viewport={"width": 400, "height": 640})
    try:
        page.goto(site.embed("/browser-audio", frame.url, width=400, height=640))
        f = _pick_browser_device(page, frame)
        assert frame.browser_audio.active
        f.locator("#view-devices [data-view-to='dial']").click()
        f.locator("#target").fill("echo")
        f.locator("#btn-dial").click()
        # The far end hears the browser's microphone (440 Hz), through the call.
        deadline_ms = 20_000
        page.wait_for_timeout(500)
        waited = 0
        while (not far.sinks or len(far.sinks[-1]) < RATE * 3) and waited < deadline_ms:
            page.wait_for_timeout(200)
            waited += 200
        assert far.sinks and len(far.sinks[-1]) >= RATE * 3, "the far end received no audio"
        heard = far.sinks[-1].samples()[-RATE:]
        assert abs(dominant(heard, RATE) - MIC_TONE) < 15, dominant(heard, RATE)
        assert float(np.sqrt(np.mean(heard.astype(np.float64) ** 2))) > 300
        # The page's speaker element carries the far end's tone (1000 Hz), through the call.
        got = _inner(page, frame).evaluate(MEASURE_JS, 1500)
        assert got is not None and abs(got["freq"] - FAR_TONE) < 15, got
        assert got["peakDb"] > -60, got
        pipes = frame.browser_audio.pipes()
        print(f"far end heard {dominant(heard, RATE):.0f} Hz; page heard {got}; pipes {pipes}")
        assert pipes["to_call"]["written"] > RATE and pipes["to_browser"]["written"] > RATE
        # Another page of the same frame cannot take the device while this one holds it.
        other = mic_browser.new_page()
        try:
            other.goto(site.embed("/browser-audio-2", frame.url))
            g = other.frame_locator("#phone")
            expect(g.locator("#reg")).to_have_attribute("data-state", "registered")
            refused = _inner(other, frame).evaluate(
                "async () => { const pc = new RTCPeerConnection();"
                " pc.addTransceiver('audio');"
                " await pc.setLocalDescription(await pc.createOffer());"
                " const r = await window.siperbFrame.send('browser_offer',"
                " { sdp: pc.localDescription.sdp }); pc.close(); return r; }"
            )  # fmt: skip
            assert refused is None  # the reply was an error (shown as a toast)
            expect(g.locator(".toast.error[data-error-field='browser_offer']")).to_have_count(1)
        finally:
            other.context.close()
        assert frame.browser_audio.active
        f.locator("#btn-hangup").click()
        # Choosing another device ends the leg.
        f.locator("#btn-devices").click()
        f.locator("#dev-input").select_option("")
        page.wait_for_function("() => true")
        for _ in range(50):
            if not frame.browser_audio.active:
                break
            page.wait_for_timeout(100)
        assert not frame.browser_audio.active
        assert "@browser" not in frame.chosen_devices.values()
        # The owner page going away ends its leg too.
        f.locator("#view-devices [data-view-to='dial']").click()
        _pick_browser_device(page, frame)
        assert frame.browser_audio.active
        page.context.close()
        assert _bounded_wait(lambda: not frame.browser_audio.active, 5.0)
    finally:
        page.context.close()
        tone_host.close_phone(phone, frame)
    assert mic_browser.console_errors == []


def test_the_browser_leg_gathers_with_the_phones_turn_server(
    tone_host: PhoneHost, site: HostPages, mic_browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    """The phone is provisioned with a TURN server (coturn on loopback): the leg's answer to
    the page carries a relay candidate from that server (the same configuration as the
    phone's WebRTC calls: a browser on another machine can reach the phone through it)."""
    import shutil

    from peers.coturn import start_coturn

    if shutil.which("turnserver", path="/usr/bin:/usr/sbin") is None:
        pytest.skip("turnserver not installed (Debian package coturn; scripts/bootstrap.sh)")
    turn = start_coturn(tmp_path_factory.mktemp("coturn"))
    try:
        phone, frame = _phone(tone_host, site, turn_server=f"turn:{turn.host}:{turn.port}",
                              turn_username=turn.user, turn_password=turn.password)  # fmt: skip
        page = mic_browser.new_page()
        try:
            page.goto(site.embed("/browser-audio-turn", frame.url, width=400, height=640))
            _pick_browser_device(page, frame)
            answer = _inner(page, frame).evaluate(
                "() => window.siperbFrame.browserLeg().remoteDescription.sdp")  # fmt: skip
            relay = [ln for ln in answer.splitlines() if " typ relay" in ln]
            assert relay and all(f" {turn.host} " in ln for ln in relay), answer
            assert " typ host" in answer, answer
            print(f"the leg's answer carries {relay[0]}")
        finally:
            page.context.close()
            tone_host.close_phone(phone, frame)
    finally:
        turn.stop()
    assert mic_browser.console_errors == []


def test_browser_offer_is_parsed_strictly() -> None:
    """The SDP argument: CRLF lines allowed, other control characters and over-long refused."""
    import json

    from siperb.errors import SiperbError
    from siperb.ui.protocol import MAX_SDP, parse_command

    sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    cmd = parse_command(json.dumps({"id": 1, "op": "browser_offer", "sdp": sdp}))
    assert cmd.args["sdp"] == sdp
    for bad, reason in ((sdp + "\x00", "contains control characters"),
                        ("a" * (MAX_SDP + 1), f"longer than {MAX_SDP} characters")):  # fmt: skip
        with pytest.raises(SiperbError) as info:
            parse_command(json.dumps({"id": 1, "op": "browser_offer", "sdp": bad}))
        assert (info.value.field, info.value.reason) == ("sdp", reason)
    with pytest.raises(SiperbError) as info:
        parse_command(json.dumps({"id": 1, "op": "browser_offer"}))
    assert info.value.field == "sdp"
