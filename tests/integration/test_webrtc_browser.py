"""A real browser as the WebRTC far end: Debian's Chromium (through Playwright) and a siperb
media session exchange SDP through the test (no SIP), and audio flows both ways.

Chromium's fake microphone plays a 440 Hz WAV; our session sends 1000 Hz. The page measures
what it receives with a WebAudio AnalyserNode on the remote track, we measure our sink; both
check the frequency and the level. ``getStats`` shows the DTLS state, version and SRTP cipher
(Chromium offers DTLS 1.3 ClientHellos). Both roles are covered: the browser offers (we answer
``setup:active``, we are the DTLS client) and we offer (the browser answers active: its DTLS 1.3
ClientHello comes to us). A hold re-offer keeps ICE and DTLS (same ufrag and fingerprint).
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from peers.audio import write_tone_wav
from peers.browser import chromium_or_skip, fake_audio_args
from siperb.media import engine as engine_mod
from siperb.media.call_media import EngineMedia, webrtc_available
from siperb.sdp import SessionDescription

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from media_helpers import dominant_frequency, rms, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not webrtc_available(), reason="the engine has no WebRTC sessions"),
]

RATE = 48000
PAGE_TONE = 440.0
OUR_TONE = 1000.0


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test page over http://127.0.0.1 (getUserMedia needs a secure context)."""
    root = tmp_path_factory.mktemp("webrtc_page")
    script = (Path(__file__).parent / "webrtc_page.js").read_text()
    (root / "webrtc_page.js").write_text(script)
    (root / "index.html").write_text(
        '<!doctype html><link rel="icon" href="data:,"><title>siperb webrtc</title>'
        '<script src="webrtc_page.js"></script>'
    )

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def page(page_url: str, tmp_path: Path) -> Iterator[Any]:
    wav = write_tone_wav(tmp_path / "page_tone.wav", (PAGE_TONE,), 5.0)
    browser = chromium_or_skip(
        extra_args=(*fake_audio_args(wav), "--autoplay-policy=no-user-gesture-required")
    )
    try:
        p = browser.new_page()
        p.goto(page_url)
        yield p
        p.evaluate("siperbTest.close()")
        assert browser.console_errors == []
    finally:
        browser.close()


def our_media() -> tuple[EngineMedia, Any]:
    sink = engine_mod.MemorySink(RATE, RATE * 10)
    source = engine_mod.MemorySource(engine_mod.tone(OUR_TONE, 2, RATE), RATE, loop=True)
    media = EngineMedia("127.0.0.1", webrtc=True, source=source, sink=sink)
    return media, sink


def check_both_ways(page: Any, media: EngineMedia, sink: Any) -> dict[str, Any]:
    """Audio both ways by frequency and level; returns the page's getStats summary."""
    assert media.session is not None
    assert wait_until(lambda: len(sink) >= RATE * 2, 15), (
        f"we received {len(sink)} samples; ice={media.session.ice_state} "
        f"dtls={media.session.dtls_state}"
    )  # type: ignore[attr-defined]
    heard = sink.samples()[-RATE:]
    assert abs(dominant_frequency(heard, RATE) - PAGE_TONE) < 15
    assert rms(heard) > 500
    got = page.evaluate("siperbTest.measure(1500)")
    assert abs(got["freq"] - OUR_TONE) < 15, got
    assert got["rms"] > 0.02 and got["peakDb"] > -60, got
    stats = page.evaluate("siperbTest.stats()")
    transport = stats["transport"]
    assert transport["dtlsState"] == "connected", transport
    assert transport.get("srtpCipher"), transport
    assert stats["inbound"]["packetsReceived"] > 50
    return stats


@pytest.mark.timeout(90)
def test_browser_offers_we_answer_audio_both_ways_with_an_mdns_candidate(page: Any) -> None:
    text = page.evaluate("siperbTest.start('offer')")
    # An mDNS candidate as browsers send by default: kept, not resolved, never a failure.
    mdns = "a=candidate:9 1 udp 2122260223 0c9e7a4e-5d4f-4e0b-9a43-7d2f1e0a9b1c.local 9 typ host"
    offer = SessionDescription.parse(text.replace("a=candidate:", mdns + "\r\na=candidate:", 1))
    assert any(c.address.endswith(".local") for c in offer.media[0].candidates)
    media, sink = our_media()
    try:
        answer = media.create_answer(offer)
        m = answer.media[0]
        assert m.proto == "UDP/TLS/RTP/SAVPF" and str(m.setup) == "active" and not m.crypto
        page.evaluate("sdp => siperbTest.accept(sdp)", str(answer))
        stats = check_both_ways(page, media, sink)
        # The browser is the DTLS server here: it still negotiated with our 1.2 ClientHello.
        assert stats["transport"]["dtlsRole"] in ("server", "unknown")
    finally:
        media.close()


@pytest.mark.timeout(90)
def test_we_offer_browser_answers_dtls13_client_hello_handled(page: Any) -> None:
    media, sink = our_media()
    try:
        page.evaluate("siperbTest.start('answer')")
        offer = media.create_offer()
        assert str(offer.media[0].setup) == "actpass" and "a=crypto" not in str(offer)
        answer = page.evaluate("sdp => siperbTest.answer(sdp)", str(offer))
        media.apply_answer(SessionDescription.parse(answer))
        assert media.negotiated is not None and media.negotiated.dtls_setup == "passive"
        stats = check_both_ways(page, media, sink)
        # The browser is the DTLS client: its ClientHello (DTLS 1.3 capable, large key
        # shares) reached our server, and the handshake finished.
        assert stats["transport"].get("tlsVersion"), stats["transport"]
        print(
            "chromium transport:",
            {
                k: stats["transport"].get(k)
                for k in ("dtlsState", "tlsVersion", "srtpCipher", "dtlsCipher")
            },
        )

        # Hold from the browser: a re-offer that keeps ufrag and fingerprint, so neither
        # ICE nor DTLS restart; audio from us stops, then resumes.
        before = (offer.media[0].ice_ufrag, offer.media[0].fingerprints)
        hold = SessionDescription.parse(page.evaluate("d => siperbTest.reoffer(d)", "sendonly"))
        hold_answer = media.update(hold)
        assert (hold_answer.media[0].ice_ufrag, hold_answer.media[0].fingerprints) == before
        assert str(hold_answer.media[0].setup) == "passive"  # our role is kept
        page.evaluate("sdp => siperbTest.accept(sdp)", str(hold_answer))
        resume = SessionDescription.parse(page.evaluate("d => siperbTest.reoffer(d)", "sendrecv"))
        page.evaluate("sdp => siperbTest.accept(sdp)", str(media.update(resume)))
        time.sleep(1.0)
        sink.clear()
        check_both_ways(page, media, sink)
        assert media.session is not None and media.session.dtls_state == "connected"  # type: ignore[attr-defined]
    finally:
        media.close()
