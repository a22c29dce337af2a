"""EngineMedia: two handlers doing offer/answer between themselves move real audio and digits."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from siperb.errors import SdpNegotiationError
from siperb.media import EngineMedia, engine_available
from siperb.media.audio import BufferSink, ToneSource
from siperb.sdp import Codec, Direction
from siperb.sip.session import MediaHandler

pytestmark = pytest.mark.skipif(not engine_available(), reason="built without the media engine")
RATE = 16000


def peak_hz(pcm: np.ndarray) -> float:
    x = pcm.astype(np.float64)
    return float(np.argmax(np.abs(np.fft.rfft(x * np.hanning(len(x))))) * RATE / len(x))


class FakeCall:
    def __init__(self) -> None:
        self.digits: list[str] = []

    def media_dtmf(self, digit: str) -> None:
        self.digits.append(digit)


def settled(m: Any) -> None:
    """Starts and updates run on the engine's command queue (off the loop): wait for them."""
    m.engine.commands.drain(10)


def pair(srtp: bool = False, codecs: list[Codec] | None = None) -> tuple[Any, Any, BufferSink]:
    sink = BufferSink(RATE, RATE * 4)
    a = EngineMedia(srtp=srtp, codecs=codecs, source=ToneSource(RATE, [([1000.0], 1000)]))
    b = EngineMedia(codecs=codecs, sink=sink)
    a.apply_answer(b.create_answer(a.create_offer()))
    return a, b, sink


@pytest.mark.parametrize("srtp", [False, True])
@pytest.mark.parametrize("codec", [Codec.opus, Codec.pcmu, Codec.pcma])
def test_tone_crosses_and_digits_become_call_events(srtp: bool, codec: Any) -> None:
    async def main() -> tuple[float, list[str], Any, Any]:
        a, b, sink = pair(srtp, [codec()])
        call = FakeCall()
        b.bind_call(call)
        await asyncio.wait_for(sink.aread(RATE // 2), 10)  # jitter buffer start-up
        hz = peak_hz(await asyncio.wait_for(sink.aread(RATE // 2), 10))
        for digit in "5#":
            a.send_dtmf_rfc4733(digit)
        events = b.session.events("dtmf")
        while len(call.digits) < 2:
            await events.get(timeout=10)
        a.close()
        b.close()
        return hz, call.digits, a, b

    hz, digits, a, b = asyncio.run(main())
    settled(a)
    assert isinstance(a, MediaHandler)
    assert abs(hz - 1000) < 20
    assert digits == ["5", "#"] and b.dtmf_received == ["5", "#"] and a.dtmf_sent == ["5", "#"]
    assert a.local.media[0].proto == ("RTP/SAVP" if srtp else "RTP/AVP")
    assert a.session.params.srtp_suite == ("AES_CM_128_HMAC_SHA1_80" if srtp else "")
    assert a.session.closed and b.session.closed and a.closed


def test_hold_updates_the_running_sessions() -> None:
    async def main() -> None:
        a, b, _ = pair()
        a.apply_answer(b.update(a.hold(Direction.SENDONLY)))
        settled(a)
        assert a.session.params.direction == "sendonly"
        assert b.session.params.direction == "recvonly"
        a.apply_answer(b.update(a.hold(Direction.SENDRECV)))
        settled(a)
        assert a.session.params.direction == b.session.params.direction == "sendrecv"
        a.close()
        b.close()

    asyncio.run(main())


def test_savp_offer_without_our_keys_is_refused() -> None:
    async def main() -> None:
        a = EngineMedia(srtp=True, codecs=[Codec.pcmu()])
        b = EngineMedia(codecs=[Codec.pcmu()])
        b.crypto = []  # an answerer with no SRTP keys cannot accept RTP/SAVP
        with pytest.raises(SdpNegotiationError):
            b.create_answer(a.create_offer())
        a.close()
        b.close()

    asyncio.run(main())


def test_inbound_session_starts_only_when_answered() -> None:
    class Inbound(FakeCall):
        direction = "inbound"

    async def main() -> None:
        a = EngineMedia(codecs=[Codec.pcmu()], source=ToneSource(RATE, [([1000.0], 1000)]))
        b = EngineMedia(codecs=[Codec.pcmu()])
        b.bind_call(Inbound())
        a.apply_answer(b.create_answer(a.create_offer()))
        settled(a)
        assert a.session.started and not b.session.started  # ringing: nothing sent to the caller
        b.answered()
        settled(b)
        assert b.session.started and b.session.params.remote_port == a.port
        a.close()
        b.close()

    asyncio.run(main())
