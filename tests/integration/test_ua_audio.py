"""Real audio between the siperb UserAgent (EngineMedia) and baresip through Kamailio.

Tones go both ways and are checked by FFT: baresip's sndfile ``*-dec.wav`` is what it decoded
from our RTP; a BufferSink is what our engine decoded from baresip's. RFC 4733 digits are
checked in both directions. Kamailio relays signalling only: RTP is direct on loopback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_ua_common import blocking, incoming, run, started

from peers.audio import dominant_frequency
from peers.baresip import CALL_CLOSED, CALL_DTMF_START, CALL_ESTABLISHED, Baresip
from peers.kamailio import DOMAIN, Kamailio
from siperb.media import EngineMedia, engine_available
from siperb.media.audio import BufferSink, ToneSource
from siperb.sdp import Codec
from siperb.sip.session import CallState

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not engine_available(), reason="siperb._core built without the engine"),
]
Factory = Callable[..., Baresip]
RATE = 16000
OUR_HZ = 1000.0
CODECS = {"PCMU": (Codec.pcmu, "PCMU"), "opus": (Codec.opus, "opus/48000/2")}


def fft_peak(pcm: np.ndarray, rate: int) -> tuple[float, float]:
    """(Hz of the strongest bin, RMS) of int16 samples."""
    x = pcm.astype(np.float64) / 32768.0
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x)), float(np.sqrt(np.mean(x * x)))


MediaFactory = Callable[[Any], EngineMedia]


def engine_media(codec: str, *, srtp: bool = False) -> tuple[MediaFactory, BufferSink]:
    sink = BufferSink(RATE, RATE * 10)

    def factory(ua: Any) -> EngineMedia:
        source = ToneSource(RATE, [([OUR_HZ], 1000)], repeat=True)
        return EngineMedia("127.0.0.1", [CODECS[codec][0]()], srtp=srtp, source=source, sink=sink)

    return factory, sink


async def heard(sink: BufferSink, seconds: float = 1.0) -> tuple[float, float]:
    """Skip the start (jitter buffer, codec warm-up), then analyse ``seconds`` of received audio."""
    await asyncio.wait_for(sink.aread(int(RATE * 0.5)), 5)
    pcm = await asyncio.wait_for(sink.aread(int(RATE * seconds)), 5)
    return fft_peak(pcm, RATE)


def decoded_by_baresip(bob: Baresip) -> Path:
    decs = [p for p in bob.recordings() if p.name.endswith("-dec.wav")]
    assert decs, f"baresip recorded nothing: {bob.recordings()}"
    return decs[-1]


def assert_tone(hz: float, rms: float, want: float = OUR_HZ) -> None:
    assert abs(hz - want) < 30, f"dominant {hz:.0f} Hz, wanted {want:.0f}"
    assert rms > 0.01, f"too quiet: rms {rms:.4f}"


async def audio_call(kam: Kamailio, bob: Baresip, transport: str, codec: str,
                     srtp: bool = False) -> tuple[tuple[float, float], EngineMedia]:  # fmt: skip
    """We call auto-answering baresip with a tone; returns what we heard and our media."""
    factory, sink = engine_media(codec, srtp=srtp)
    ua, _rec = await started(kam, "1000", transport, media_factory=factory)
    try:
        call = await ua.call("1001")
        assert await call.wait_for(CallState.ESTABLISHED, timeout=10) is CallState.ESTABLISHED
        await blocking(bob.await_event, CALL_ESTABLISHED, 10)
        media = call.media
        assert isinstance(media, EngineMedia) and media.negotiated is not None
        assert media.negotiated.codec.name.lower() == codec.lower()
        ours = await heard(sink)
        await asyncio.sleep(0.5)
        await call.hangup()
        await blocking(bob.await_event, CALL_CLOSED, 10)
        return ours, media
    finally:
        await ua.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("transport", ["udp", "ws"])
@pytest.mark.parametrize("codec", ["PCMU", "opus"])
def test_tones_both_ways_we_call_baresip(
    kamailio: Kamailio, baresip_factory: Factory, transport: str, codec: str
) -> None:
    bob = baresip_factory("1001", answermode="auto", audio_source="ausine,1000",
                          audio_codecs=CODECS[codec][1])  # fmt: skip
    (hz, rms), media = run(audio_call(kamailio, bob, transport, codec))
    assert_tone(hz, rms, 1000.0)
    assert media.closed and media.session is not None and media.session.closed
    assert_tone(*dominant_frequency(decoded_by_baresip(bob)))


@pytest.mark.timeout(60)
def test_baresip_calls_us_with_a_wav_we_hear_it_it_hears_us(
    kamailio: Kamailio, baresip_factory: Factory, tone_wav: Path
) -> None:
    bob = baresip_factory("1001", audio_source=f"aufile,{tone_wav}", audio_codecs="PCMU")
    factory, sink = engine_media("PCMU")

    async def main() -> tuple[float, float]:
        ua, rec = await started(kamailio, "1000", "udp", media_factory=factory)
        try:
            await blocking(bob.dial, f"sip:1000@{DOMAIN}")
            call = await incoming(rec)
            await call.answer()
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            result = await heard(sink)
            await call.hangup()
            await blocking(bob.await_event, CALL_CLOSED, 10)
            return result
        finally:
            await ua.close()

    assert_tone(*run(main()), want=1000.0)
    assert_tone(*dominant_frequency(decoded_by_baresip(bob)))


@pytest.mark.timeout(60)
def test_srtp_sdes_with_baresip_srtp_mand(kamailio: Kamailio, baresip_factory: Factory) -> None:
    bob = baresip_factory("1001", answermode="auto", audio_source="ausine,1000",
                          audio_codecs="PCMU", mediaenc="srtp-mand")  # fmt: skip
    (hz, rms), media = run(audio_call(kamailio, bob, "udp", "PCMU", srtp=True))
    assert media.local is not None and media.local.media[0].proto == "RTP/SAVP"
    assert media.negotiated is not None and media.negotiated.remote_crypto is not None
    assert_tone(hz, rms, 1000.0)
    assert_tone(*dominant_frequency(decoded_by_baresip(bob)))


@pytest.mark.timeout(60)
def test_rfc4733_dtmf_both_ways(kamailio: Kamailio, baresip_factory: Factory) -> None:
    bob = baresip_factory("1001", answermode="auto", audio_codecs="PCMU")
    factory, _sink = engine_media("PCMU")

    async def main() -> tuple[list[str], list[str]]:
        ua, rec = await started(kamailio, "1000", "udp", media_factory=factory)
        try:
            call = await ua.call("1001")
            await call.wait_for(CallState.ESTABLISHED, timeout=10)
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            await asyncio.sleep(0.3)
            sent = []
            for digit in "59#":
                await call.send_dtmf(digit, method="rfc4733")
                ev = await blocking(bob.await_event, CALL_DTMF_START, 10)
                sent.append(str(ev["param"]))
                await asyncio.sleep(0.3)
            await blocking(bob.send_dtmf, "7")
            ev = await rec.wait("dtmf", 10)
            assert ev["method"] == "rfc4733" and ev["call"] is call
            await call.hangup()
            return sent, list(call.dtmf_received)
        finally:
            await ua.close()

    sent, received = run(main())
    assert sent == list("59#")
    assert received == ["7"]
