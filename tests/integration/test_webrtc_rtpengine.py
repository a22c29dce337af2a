"""siperb in the WebRTC profile over WebSocket, bridged by Kamailio + rtpengine (userspace,
``--table=-1``) to baresip in plain RTP over UDP: what a browser phone's PBX does.

rtpengine offers WebRTC (UDP/TLS/RTP/SAVPF, ICE, DTLS-SRTP, rtcp-mux) toward the WebSocket
client and RTP/AVP toward baresip. Checked: calls both ways with tones both ways (FFT), hold and
resume (the re-INVITE keeps our ufrag and fingerprint), RFC 4733 DTMF, hang-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_ua_common import Recorder, blocking, incoming, run, started

from conftest import require_program
from peers.audio import dominant_frequency, write_tone_wav
from peers.baresip import CALL_CLOSED, CALL_DTMF_START, CALL_ESTABLISHED, Baresip, start_baresip
from peers.kamailio import DOMAIN, Kamailio, start_kamailio
from peers.rtpengine import RtpEngine, loopback_ports, start_rtpengine
from siperb.media import EngineMedia, SdpOnlyMedia
from siperb.media.audio import BufferSink, ToneSource
from siperb.media.call_media import webrtc_available
from siperb.sdp import Codec, SessionDescription
from siperb.sip.session import CallState
from siperb.sip.useragent import UserAgent

pytestmark = pytest.mark.integration
needs_webrtc = pytest.mark.skipif(not webrtc_available(), reason="no WebRTC in the engine")
RATE = 16000
OUR_HZ = 1000.0
THEIR_HZ = 440.0


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Kamailio, RtpEngine]]:
    """rtpengine + Kamailio (webrtc_bridge) on loopback, both stopped by pid afterwards."""
    require_program("rtpengine", "rtpengine-daemon")
    require_program("kamailio", "kamailio")
    work = tmp_path_factory.mktemp("webrtc-bridge")
    ng, ports = loopback_ports()
    rtp = start_rtpengine(work / "rtpengine", "127.0.0.1", ng_port=ng, ports=ports)
    try:
        kam = start_kamailio(work / "kamailio", rtpengine_port=ng, webrtc_bridge=True)
    except BaseException:
        rtp.stop()
        raise
    try:
        yield kam, rtp
    finally:
        kam.stop()
        rtp.stop()


@pytest.fixture
def bob(bridge: tuple[Kamailio, RtpEngine], tmp_path: Path) -> Iterator[Baresip]:
    require_program("baresip", "baresip")
    kam, _ = bridge
    wav = write_tone_wav(tmp_path / "bob.wav", (THEIR_HZ,), seconds=30.0)
    kam.unregister("1001")
    source, codecs = f"aufile,{wav}", "opus/48000/2,PCMU"
    peer = start_baresip(
        tmp_path / "bob", kam, "1001", answermode="auto", audio_source=source, audio_codecs=codecs
    )
    try:
        yield peer
    finally:
        peer.stop()


def webrtc_media() -> tuple[Any, BufferSink, list[EngineMedia]]:
    sink = BufferSink(RATE, RATE * 10)
    made: list[EngineMedia] = []

    def factory(ua: Any) -> EngineMedia:
        source = ToneSource(RATE, [([OUR_HZ], 1000)], repeat=True)
        media = EngineMedia("127.0.0.1", [Codec.opus(), Codec.pcmu()], webrtc=True,
                            source=source, sink=sink)  # fmt: skip
        made.append(media)
        return media

    return factory, sink, made


def fft_peak(pcm: np.ndarray) -> tuple[float, float]:
    x = pcm.astype(np.float64) / 32768.0
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * RATE / len(x)), float(np.sqrt(np.mean(x * x)))


async def hear(
    sink: BufferSink, want: float = THEIR_HZ, within: float = 10.0, media: Any = None
) -> None:
    """The tone from baresip (frequency and level) in a whole second of what we play, within
    ``within`` seconds of audio: ICE and DTLS through rtpengine come first, and under ASan on a
    loaded machine they took longer than the half second this used to skip (silence, 0 Hz)."""
    await asyncio.wait_for(sink.aread(int(RATE * 0.5)), 15)
    heard = []
    for _ in range(int(within)):
        hz, level = fft_peak(await asyncio.wait_for(sink.aread(RATE), 10))
        if abs(hz - want) < 20 and level > 0.01:
            return
        heard.append((hz, round(level, 4)))
    session = getattr(media, "session", None)
    state = None if session is None else (session.stats(), getattr(session, "dtls_state", None))
    raise AssertionError(f"no {want} Hz in {within:.0f} s: (Hz, level) each second {heard}; "
                         f"our session: {state}")  # fmt: skip


def assert_bob_heard_us(bob: Baresip) -> None:
    decs = [p for p in bob.recordings() if p.name.endswith("-dec.wav")]
    assert decs, f"baresip recorded nothing: {bob.recordings()}"
    hz, level = dominant_frequency(decs[-1])
    assert abs(hz - OUR_HZ) < 30 and level > 0.01, (hz, level)


async def ws_phone(kam: Kamailio, factory: Any) -> tuple[UserAgent, Recorder]:
    return await started(kam, "1000", "ws", media_factory=factory, media_profile="webrtc")


@needs_webrtc
@pytest.mark.timeout(90)
def test_we_call_baresip_through_rtpengine_audio_hold_dtmf_hangup(
    bridge: tuple[Kamailio, RtpEngine], bob: Baresip
) -> None:
    kam, _ = bridge
    factory, sink, made = webrtc_media()

    async def main() -> None:
        ua, _rec = await ws_phone(kam, factory)
        try:
            call = await ua.call("1001")
            assert await call.wait_for(CallState.ESTABLISHED, timeout=15) is CallState.ESTABLISHED
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            media = made[0]
            assert media.local is not None and media.local.media[0].proto == "UDP/TLS/RTP/SAVPF"
            assert media.negotiated is not None and media.negotiated.webrtc
            first = media.local.media[0]
            await hear(sink)

            await call.hold()
            held = media.local.media[0]
            assert (held.ice_ufrag, held.fingerprints) == (first.ice_ufrag, first.fingerprints)
            await call.resume()
            sink.read(sink.queued, 0.0)
            await hear(sink)
            assert media.session is not None and media.session.dtls_state == "connected"  # type: ignore[attr-defined]

            await call.send_dtmf("5", method="rfc4733")
            ev = await blocking(bob.await_event, CALL_DTMF_START, 10)
            assert ev.get("param") == "5" or "5" in str(ev)
            await call.hangup()
            await blocking(bob.await_event, CALL_CLOSED, 10)
        finally:
            await ua.close()

    run(main(), timeout=80)
    assert_bob_heard_us(bob)


@needs_webrtc
@pytest.mark.timeout(90)
def test_baresip_calls_us_rtpengine_offers_webrtc_we_answer(
    bridge: tuple[Kamailio, RtpEngine], bob: Baresip
) -> None:
    kam, _ = bridge
    factory, sink, made = webrtc_media()

    async def main() -> None:
        ua, rec = await ws_phone(kam, factory)
        try:
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            call = await incoming(rec)
            media = made[0]
            assert media.remote is not None and media.remote.media[0].proto.startswith("UDP/TLS/")
            await call.answer()
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            assert media.negotiated is not None and media.negotiated.webrtc
            assert media.negotiated.ice_controlling is False or media.negotiated.remote_ice_lite
            await hear(sink, media=media)
            await blocking(bob.hangup)
            await asyncio.wait_for(call.ended, 10)
        finally:
            await ua.close()

    run(main(), timeout=80)
    assert_bob_heard_us(bob)


@pytest.mark.timeout(60)
def test_bridge_offers_webrtc_to_the_ws_client_and_refusal_carries_a_warning(
    bridge: tuple[Kamailio, RtpEngine], bob: Baresip
) -> None:
    """rtpengine turns baresip's RTP/AVP offer into a WebRTC one for the WebSocket client; a
    client without WebRTC media refuses it with 488 + Warning, which baresip sees as a failed
    call (no engine needed: SDP-only media)."""
    kam, _ = bridge

    async def main() -> None:
        ua, rec = await started(kam, "1000", "ws", media_factory=lambda ua: SdpOnlyMedia())
        try:
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            ev = await rec.wait("sdp_refused", 15)
            offer = SessionDescription.parse(ev["call"].invite.body)
            m = offer.media[0]
            assert m.proto == "UDP/TLS/RTP/SAVPF" and m.rtcp_mux and m.candidates
            assert (m.ice_ufrag or offer.ice_ufrag) and (m.fingerprints or offer.fingerprints)
            assert str(m.setup or offer.setup) in ("actpass", "passive", "active")
            assert ev["warning"].startswith("302 ")
            await blocking(bob.await_event, CALL_CLOSED, 10)
        finally:
            await ua.close()

    run(main(), timeout=50)
