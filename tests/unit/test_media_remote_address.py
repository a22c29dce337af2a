"""The far end's media address rule (siperb.media.remote_address): an SDP c= that is not an
IP, of the other family than our media socket, or loopback while we are not is refused with an
SdpNegotiationError naming c= (488 for an offer, BYE for an answer); 0.0.0.0 (hold) passes."""

from __future__ import annotations

import pytest

from siperb.errors import SdpNegotiationError
from siperb.media.remote_address import check_remote_address
from siperb.media.sdp_media import SdpOnlyMedia
from siperb.sdp import Codec, SessionDescription


@pytest.mark.parametrize(
    ("remote", "local"),
    [("203.0.113.5", "198.51.100.10"), ("2001:db8::5", "2001:db8::10"), ("0.0.0.0", "::1"),
     ("::", "198.51.100.10"), ("127.0.0.1", "127.0.0.1"), ("198.51.100.9", "127.0.0.1"),
     ("", "198.51.100.10")],
)  # fmt: skip
def test_usable_addresses(remote: str, local: str) -> None:
    check_remote_address(remote, local)


@pytest.mark.parametrize(
    ("remote", "local", "words"),
    [("2001:db8::5", "198.51.100.10", "IP6"), ("203.0.113.5", "2001:db8::10", "IP4"),
     ("127.0.0.1", "198.51.100.10", "loopback"), ("::1", "2001:db8::10", "loopback"),
     ("media.example", "198.51.100.10", "not an IP")],
)  # fmt: skip
def test_unusable_addresses_name_c(remote: str, local: str, words: str) -> None:
    with pytest.raises(SdpNegotiationError) as info:
        check_remote_address(remote, local)
    assert info.value.field == "c=" and words in str(info.value)


def sdp(addrtype: str, address: str) -> SessionDescription:
    return SessionDescription.parse(
        f"v=0\r\no=- 1 1 IN {addrtype} {address}\r\ns=-\r\nc=IN {addrtype} {address}\r\n"
        "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )


def test_offer_and_answer_with_a_wrong_family_are_refused() -> None:
    media = SdpOnlyMedia("127.0.0.1", [Codec.pcmu()])
    try:
        with pytest.raises(SdpNegotiationError, match="c=: IN IP6"):
            media.create_answer(sdp("IP6", "2001:db8::5"))
        assert media.negotiated is None and media.remote is None
        media.create_offer()
        with pytest.raises(SdpNegotiationError, match="c=: IN IP6"):
            media.apply_answer(sdp("IP6", "2001:db8::5"))
        assert media.negotiated is None
        media.apply_answer(sdp("IP4", "127.0.0.1"))  # the same answer on our family is fine
        assert media.negotiated is not None and media.negotiated.remote_address == "127.0.0.1"
    finally:
        media.close()
