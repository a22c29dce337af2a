"""WebRTC answers our one-socket session cannot use are refused with a named field: the two
traps baresip 1.0 shows (tests/netns/test_webrtc_baresip.py), with its real answers."""

from __future__ import annotations

import pytest

from siperb.errors import SdpNegotiationError
from siperb.media.call_media import EngineMedia, webrtc_available
from siperb.media.webrtc import check_answer
from siperb.sdp import SessionDescription

#: baresip 1.0's answer (ice + dtls_srtp, default rtcp_mux no) to our WebRTC offer: no
#: a=rtcp-mux, and a=ice-mismatch (it looks for our RTCP port among our component-1 candidates).
BARESIP_NO_MUX = """v=0
o=- 1727191309 203789397 IN IP4 203.0.113.10
s=-
c=IN IP4 203.0.113.10
t=0 0
a=ice-ufrag:xd2TWhZ
a=ice-pwd:pHlsI6R4jHL5G9H6BCcuWrerkWv9uzs
a=fingerprint:SHA-256 56:2A:27:16:74:CB:32:62:62:3B:7B:31:82:B3:CF:B8:B7:39:EC:C3:50:0A:10:56:28:\
29:6C:B3:E1:D0:95:EB
a=setup:active
a=tool:baresip 1.0.0
m=audio 44878 UDP/TLS/RTP/SAVPF 0 101
c=IN IP4 203.0.113.10
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
a=rtcp:44879 IN IP4 203.0.113.10
a=candidate:cb00710a 1 UDP 2113929471 203.0.113.10 44878 typ host
a=candidate:cb00710a 2 UDP 2113929470 203.0.113.10 44879 typ host
a=ssrc:4180716038 cname:sip:1001@siperb.test
a=label:1
a=minptime:20
a=ice-mismatch
"""
#: With ``rtcp_mux yes`` in baresip's config: a=rtcp-mux, one component (the call works).
BARESIP_MUX = (
    BARESIP_NO_MUX.replace("a=ice-mismatch\n", "")
    .replace("a=rtcp:44879 IN IP4 203.0.113.10\n", "a=rtcp-mux\n")
    .replace("a=candidate:cb00710a 2 UDP 2113929470 203.0.113.10 44879 typ host\n", "")
    .replace("a=setup:active", "a=setup:passive")
)
#: With ``rtcp_mux yes`` but our c= rewritten by Kamailio's fix_nated_sdp (phone behind NAT).
BARESIP_NAT_ANSWER = BARESIP_MUX + "a=ice-mismatch\n"


def _parse(text: str) -> SessionDescription:
    return SessionDescription.parse(text.replace("\n", "\r\n"))


def test_ice_mismatch_answer_is_refused_naming_the_attribute() -> None:
    with pytest.raises(SdpNegotiationError) as e:
        check_answer(_parse(BARESIP_NAT_ANSWER))
    assert e.value.field == "a=ice-mismatch" and "ICE" in e.value.reason


def test_answer_without_rtcp_mux_is_refused_naming_the_attribute() -> None:
    """rtcp-mux named first: it is the cause of baresip's a=ice-mismatch here."""
    with pytest.raises(SdpNegotiationError) as e:
        check_answer(_parse(BARESIP_NO_MUX))
    assert e.value.field == "a=rtcp-mux" and "rtcp-mux" in e.value.reason


def test_answer_with_rtcp_mux_and_ice_passes() -> None:
    check_answer(_parse(BARESIP_MUX))


def test_plain_rtp_answer_is_not_checked() -> None:
    plain = BARESIP_NAT_ANSWER.replace("UDP/TLS/RTP/SAVPF", "RTP/AVP")
    check_answer(_parse(plain))


@pytest.mark.skipif(not webrtc_available(), reason="engine without WebRTC sessions")
@pytest.mark.parametrize("answer", [BARESIP_NAT_ANSWER, BARESIP_NO_MUX], ids=["mismatch", "no-mux"])
def test_engine_media_refuses_the_answer_and_starts_nothing(answer: str) -> None:
    """Before the fix EngineMedia accepted these answers: the call showed as established
    while no audio could flow (baresip sent RTCP to a second port and did no ICE)."""
    media = EngineMedia("127.0.0.1", webrtc=True)
    try:
        media.create_offer()
        with pytest.raises(SdpNegotiationError):
            media.apply_answer(_parse(answer))
        assert media.negotiated is None
        assert media.session is not None and not media.session.started
    finally:
        media.close()


@pytest.mark.skipif(not webrtc_available(), reason="engine without WebRTC sessions")
def test_engine_media_accepts_baresip_answer_with_rtcp_mux() -> None:
    media = EngineMedia("127.0.0.1", webrtc=True)
    try:
        media.create_offer()
        media.apply_answer(_parse(BARESIP_MUX))
        assert media.negotiated is not None and media.negotiated.webrtc
    finally:
        media.close()
