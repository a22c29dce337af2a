"""The PhoneFrame used from another machine: https/wss on a non-loopback address, and "This
browser" audio between a remote Chromium and the phone's engine.

Two test hosts (network namespaces, tests/peers/netns.py) joined by one link:

    phone host 203.0.113.50 ---(web)--- 203.0.113.60 browser host

The phone host runs the loopback SIP service (its peer plays 1,000 Hz and records what it
hears) and the phone with a ``WebFrame(host="203.0.113.50", certificate=..., key=...,
browser_audio=True)``: the asyncio loop, the engine and their sockets live in that namespace.
Chromium (Debian's, Playwright) runs in the browser host's namespace with a fake microphone
playing 440 Hz. A test CA (tests/peers/tls_ca.py) signs the frame's certificate for the
address; Chromium trusts that CA through the NSS database of the HOME it runs with (certutil:
the way a user adds a root on Linux), so the chain and the address are verified for real: no
``--ignore-certificate-errors`` of any kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))

from ui_host import MEASURE_JS, FarEnd, PhoneHost, dominant

from peers.audio import write_tone_wav
from peers.browser import CHROMIUM, Browser, chromium_or_skip, fake_audio_args
from peers.netns import Netns, link, remove_leftovers, unavailable_reason
from peers.procs import terminate
from peers.tls_ca import TestCa, certutil_missing

pytestmark = [pytest.mark.timeout(180)]

PHONE_HOST = "203.0.113.50"
BROWSER_HOST = "203.0.113.60"
RATE = 16000
FAR_TONE = 1000.0  # the service's peer plays this
MIC_TONE = 440.0  # Chromium's fake microphone


class RemoteLab:
    """The two hosts, the CA, and the phone host's loop thread (inside its namespace)."""

    def __init__(self, workdir: Path) -> None:
        remove_leftovers()
        self.made: list[Netns] = []
        for name in ("uiphone", "uiweb"):
            self.made.append(Netns(name))
        self.phone_ns, self.web_ns = self.made
        for ns in self.made:  # IPv4 only: no link-local address appears late (Chromium would
            for key in ("all", "default"):  # see the network change and abort a navigation)
                ns.sysctl(f"net.ipv6.conf.{key}.disable_ipv6", "1")
        link(self.phone_ns, "web", [f"{PHONE_HOST}/24"], self.web_ns, "web",
             [f"{BROWSER_HOST}/24"])  # fmt: skip
        self.ca = TestCa(workdir / "ca")
        self.cert, self.key = self.ca.issue([PHONE_HOST])
        # PhoneHost made on a thread inside the namespace: its loop thread is started there.
        self.host: PhoneHost = self.phone_ns.call(PhoneHost)
        self.far = FarEnd(FAR_TONE, RATE)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.host.close()
        for ns in self.made:
            ns.delete()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteLab]:
    reason = unavailable_reason() or certutil_missing()
    if reason is not None:
        pytest.skip(reason)
    lab = RemoteLab(tmp_path_factory.mktemp("ui-remote"))
    try:
        from siperb.demo import LoopbackService

        lab.host.svc = lab.host.run(
            LoopbackService(callback_delay=0.2, media_factory=lab.far).start())  # fmt: skip
        yield lab
    finally:
        lab.close()


def _remote_phone(lab: RemoteLab) -> tuple[Any, Any]:
    """A phone registered to the service, with a TLS WebFrame on the phone host's address."""
    from siperb.demo import manual_provisioning
    from siperb.media import EngineMediaControl, engine_available
    from siperb.media.call_media import webrtc_available
    from siperb.phone import ProvisionPhone
    from siperb.phone.history import MEMORY
    from siperb.ui import WebFrame

    if not (engine_available() and webrtc_available()):
        pytest.skip("the native engine was built without WebRTC")

    async def make() -> tuple[Any, Any]:
        frame = await WebFrame(host=PHONE_HOST, certificate=lab.cert, key=lab.key,
                               browser_audio=True).start()  # fmt: skip
        phone = await ProvisionPhone(
            {"Provisioning": manual_provisioning(lab.host.svc.port), "PhoneFrame": frame,
             "ProfileUserId": "remote", "SessionId": "s", "UserId": "u"},
            history_path=MEMORY, media_control=EngineMediaControl(auto_device=False),
        )  # fmt: skip
        return phone, frame

    phone, frame = lab.host.run(make())
    lab.host.phones.append((phone, frame))
    return phone, frame


@pytest.fixture(scope="module")
def remote_browser(lab: RemoteLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium inside the browser host (a wrapper: ``ip netns exec``), trusting the test CA."""
    work = tmp_path_factory.mktemp("chromium")
    home = lab.ca.nss_home(work / "home")
    wav = write_tone_wav(work / "mic.wav", (MIC_TONE,), 5.0)
    wrapper = work / "chromium-in-netns"
    netns_exec = " ".join(lab.web_ns.prefix())
    wrapper.write_text(f'#!/bin/sh\nexec {netns_exec} env HOME={home} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    b = chromium_or_skip(
        extra_args=(*fake_audio_args(wav), "--autoplay-policy=no-user-gesture-required"),
        executable=str(wrapper),
    )
    try:
        yield b
    finally:
        b.close()


def _bounded_wait(cond: Any, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return bool(cond())


def test_a_remote_browser_talks_through_the_frame_over_https(
    lab: RemoteLab, remote_browser: Browser
) -> None:
    from playwright.sync_api import expect

    phone, frame = _remote_phone(lab)
    assert frame.url.startswith(f"https://{PHONE_HOST}:")
    page = remote_browser.new_page(viewport={"width": 400, "height": 640})
    try:
        page.goto(frame.url)  # a certificate error would fail here (no bypass is set)
        assert page.evaluate("() => window.isSecureContext") is True
        expect(page.locator("#reg")).to_have_attribute("data-state", "registered")
        page.locator("#btn-devices").click()
        expect(page.locator("#dev-input option[value='@browser']")).to_have_count(1)
        page.locator("#dev-input").select_option("@browser")
        page.wait_for_function(
            "() => { const pc = window.siperbFrame.browserLeg();"
            " return pc && pc.connectionState === 'connected'; }", timeout=20_000)  # fmt: skip
        # Our answer's candidates are on the bind address, and the pair in use reaches it.
        answer = page.evaluate("() => window.siperbFrame.browserLeg().remoteDescription.sdp")
        candidates = [ln for ln in answer.splitlines() if ln.startswith("a=candidate:")]
        assert f"c=IN IP4 {PHONE_HOST}" in answer, answer
        assert candidates and all(f" {PHONE_HOST} " in c for c in candidates), answer
        pair = page.evaluate(
            """async () => { const st = await window.siperbFrame.browserLeg().getStats();
            let out = null; st.forEach((t) => { if (t.type !== 'transport') return;
              const p = st.get(t.selectedCandidatePairId); if (!p) return;
              out = { remote: st.get(p.remoteCandidateId).address,
                      local: st.get(p.localCandidateId).address }; }); return out; }"""
        )
        assert pair == {"remote": PHONE_HOST, "local": BROWSER_HOST}, pair
        page.locator("#view-devices [data-view-to='dial']").click()
        page.locator("#target").fill("echo")
        page.locator("#btn-dial").click()
        # The far end hears the remote browser's microphone (440 Hz) through the call ...
        assert _bounded_wait(lambda: bool(lab.far.sinks) and len(lab.far.sinks[-1]) >= RATE * 3,
                             25.0), "the far end received no audio"  # fmt: skip
        heard = lab.far.sinks[-1].samples()[-RATE:]
        hz = dominant(heard, RATE)
        assert abs(hz - MIC_TONE) < 15, hz
        # ... and the remote browser's speaker element carries the far end's 1,000 Hz.
        got = page.evaluate(MEASURE_JS, 1500)
        assert got is not None and abs(got["freq"] - FAR_TONE) < 15, got
        assert got["peakDb"] > -60, got
        print(f"remote: far end heard {hz:.0f} Hz; the remote page heard {got}; pair {pair}")
        page.locator("#btn-hangup").click()
    finally:
        page.context.close()
        lab.host.close_phone(phone, frame)
    assert remote_browser.console_errors == []


def test_plain_http_off_loopback_is_refused_and_so_is_a_foreign_origin_over_wss(
    lab: RemoteLab,
) -> None:
    from siperb.errors import SiperbError
    from siperb.ui import WebFrame

    async def plain() -> None:
        WebFrame(host=PHONE_HOST)

    with pytest.raises(SiperbError) as info:
        lab.host.run(plain())
    assert info.value.reason == "a non-loopback bind needs TLS"

    phone, frame = _remote_phone(lab)
    client = ssl.create_default_context(cafile=str(lab.ca.ca_pem))

    def from_the_browser_host() -> dict[str, Any]:
        out: dict[str, Any] = {}
        # plain http to the frame's port: no page (the listener speaks TLS only)
        try:
            urllib.request.urlopen(frame.url.replace("https:", "http:"), timeout=5)
            out["http"] = "served"
        except (urllib.error.URLError, OSError) as e:
            out["http"] = type(e).__name__
        with urllib.request.urlopen(frame.url, timeout=5, context=client) as r:
            out["https"] = r.status
            out["csp"] = r.headers["Content-Security-Policy"]

        async def origins() -> None:
            from websockets.asyncio.client import connect
            from websockets.exceptions import InvalidStatus

            wss = frame.url.replace("https://", "wss://") + "ws"
            for origin in ("https://evil.example", f"http://{PHONE_HOST}:{frame.http.port}"):
                try:
                    ws = await connect(wss, origin=origin, ssl=client)  # type: ignore[arg-type]
                    await ws.close()
                    out[origin] = "accepted"
                except InvalidStatus as e:
                    out[origin] = e.response.status_code
            ws = await connect(wss, origin=frame.origin, ssl=client)  # type: ignore[arg-type]
            await ws.send(json.dumps({"id": 1, "op": "hello", "languages": ["en"]}))
            out["own"] = json.loads(await asyncio.wait_for(ws.recv(), 5))["type"]
            await ws.close()

        asyncio.run(asyncio.wait_for(origins(), 20))
        return out

    try:
        out = lab.web_ns.call(from_the_browser_host)
    finally:
        lab.host.close_phone(phone, frame)
    assert out["http"] != "served", out
    assert out["https"] == 200, out
    assert f"connect-src 'self' wss://{PHONE_HOST}:{frame.http.port};" in out["csp"], out
    assert "frame-ancestors 'self'" in out["csp"], out
    assert out["https://evil.example"] == 403, out
    assert out[f"http://{PHONE_HOST}:{frame.http.port}"] == 403, out  # not our https origin
    assert out["own"] == "hello", out


def test_siperb_ui_bind_serves_https_to_the_other_host(lab: RemoteLab) -> None:
    """``siperb ui --bind ADDR --cert FILE --key FILE`` on the phone host; the browser host
    fetches the page over https (verified against the test CA). Without --cert it refuses."""
    import os
    import subprocess

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "python")}
    argv = [*lab.phone_ns.prefix(), sys.executable, "-m", "siperb", "ui", "--demo", "--no-open",
            "--bind", PHONE_HOST, "--duration", "30"]  # fmt: skip
    refused = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env, cwd=root)
    assert refused.returncode == 1 and "needs TLS" in refused.stderr, refused.stderr
    cli = subprocess.Popen([*argv, "--cert", str(lab.cert), "--key", str(lab.key)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                           cwd=root)  # fmt: skip
    try:
        assert cli.stdout is not None and cli.stderr is not None
        line = cli.stdout.readline()
        assert line.startswith(f"phone UI: https://{PHONE_HOST}:"), line + cli.stderr.read()
        url = line.split(": ", 1)[1].strip()
        client = ssl.create_default_context(cafile=str(lab.ca.ca_pem))

        def fetch() -> tuple[int, bytes]:
            with urllib.request.urlopen(url, timeout=10, context=client) as r:
                return r.status, r.read()

        status, body = lab.web_ns.call(fetch)
        assert status == 200 and b'<script src="app.js"' in body
    finally:
        terminate(cli, 15)
