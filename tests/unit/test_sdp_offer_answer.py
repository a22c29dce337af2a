"""RFC 3264 offer/answer: create_offer, create_answer and negotiate."""

from __future__ import annotations

import pytest
from test_sdp_samples import ASTERISK, BARESIP, CHROME, FREESWITCH_SRTP

from siperb.errors import SdpNegotiationError
from siperb.sdp import (
    Capabilities,
    Codec,
    Crypto,
    Direction,
    OpusParams,
    RtpMap,
    SessionDescription,
    create_answer,
    create_offer,
    negotiate,
)

OFFER = """v=0
o=bob 100 100 IN IP4 192.0.2.10
s=call
c=IN IP4 192.0.2.10
t=0 0
m=audio 30000 RTP/AVP 0 8 111 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:111 opus/48000/2
a=fmtp:111 maxplaybackrate=24000;useinbandfec=1;usedtx=1;stereo=1;sprop-stereo=0;ptime=40
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
m=video 30002 RTP/AVP 96
a=rtpmap:96 H264/90000
"""


def caps(*codecs: Codec, **kw: object) -> Capabilities:
    return Capabilities(codecs=list(codecs), address="10.0.0.2", port=4000, session_id=7, **kw)  # type: ignore[arg-type]


def test_answer_keeps_offerer_order_and_payload_types() -> None:
    answer = create_answer(OFFER, caps(Codec.opus(), Codec.pcma(), Codec.pcmu()))
    audio, video = answer.media
    assert audio.formats == ["0", "8", "111", "101"]
    assert [r.encoding for r in audio.rtpmaps] == ["PCMU", "PCMA", "opus", "telephone-event"]
    assert audio.fmtp["101"].params == "0-15"
    assert audio.fmtp["111"].params == "useinbandfec=1"
    assert audio.port == 4000
    assert audio.ptime == 20
    assert audio.direction is Direction.SENDRECV
    assert answer.connection is not None and answer.connection.address == "10.0.0.2"
    assert (video.port, video.kind, video.formats) == (0, "video", ["96"])
    assert len(answer.media) == 2
    assert SessionDescription.parse(str(answer)) == answer


def test_dynamic_payload_type_is_matched_by_name_not_number() -> None:
    offer = OFFER.replace("111", "120").replace("opus/48000/2", "OPUS/48000/2")
    mine = Codec.opus()
    mine.payload_type = 96
    answer = create_answer(offer, caps(mine))
    assert answer.media[0].formats == ["120", "101"]
    # A same-numbered but different codec is not a match.
    clash = OFFER.replace("m=audio 30000 RTP/AVP 0 8 111 101", "m=audio 30000 RTP/AVP 96 101")
    clash = clash.replace("a=rtpmap:0 PCMU/8000\n", "").replace("a=rtpmap:8 PCMA/8000\n", "")
    clash = clash.replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:96 speex/16000")
    clash = clash.replace("a=fmtp:111", "a=fmtp:96")
    with pytest.raises(SdpNegotiationError):
        create_answer(clash, caps(mine))
    stereo_mismatch = OFFER.replace("opus/48000/2", "opus/48000")
    assert (
        "111"
        not in create_answer(stereo_mismatch, caps(Codec.opus(), Codec.pcmu())).media[0].formats
    )


def test_no_common_codec_raises_488_reason() -> None:
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(OFFER, caps(Codec("G729", 8000)))
    assert e.value.field == "m=audio"
    assert "no common codec" in e.value.reason
    assert "PCMU/8000" in e.value.reason and "G729/8000" in e.value.reason


def test_offer_without_audio_raises() -> None:
    video_only = OFFER.split("m=audio")[0] + "m=video" + OFFER.split("m=video")[1]
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(video_only, caps(Codec.pcmu()))
    assert e.value.field == "m"


def test_telephone_event_only_if_both_support_it() -> None:
    without = create_answer(OFFER, caps(Codec.pcmu(), telephone_event=False))
    assert without.media[0].formats == ["0"]
    no_te_offer = OFFER.replace(" 101\n", "\n").replace("a=rtpmap:101 telephone-event/8000\n", "")
    no_te_offer = no_te_offer.replace("a=fmtp:101 0-15\n", "")
    assert create_answer(no_te_offer, caps(Codec.pcmu())).media[0].formats == ["0"]


@pytest.mark.parametrize(
    ("offered", "local", "expected"),
    [
        ("sendrecv", "sendrecv", "sendrecv"),
        ("sendonly", "sendrecv", "recvonly"),
        ("recvonly", "sendrecv", "sendonly"),
        ("inactive", "sendrecv", "inactive"),
        ("sendrecv", "sendonly", "sendonly"),
        ("sendrecv", "inactive", "inactive"),
        ("sendonly", "sendonly", "inactive"),
        ("recvonly", "recvonly", "inactive"),
        ("sendrecv", "recvonly", "recvonly"),
    ],
)
def test_hold_directions(offered: str, local: str, expected: str) -> None:
    offer = OFFER.replace("a=ptime:20", f"a=ptime:20\na={offered}")
    answer = create_answer(offer, caps(Codec.pcmu(), direction=Direction(local)))
    assert answer.media[0].direction == expected
    result = negotiate(offer, answer, local_is_offerer=False)
    assert result.direction == expected


def test_session_level_direction_and_old_style_hold() -> None:
    offer = OFFER.replace("t=0 0\n", "t=0 0\na=sendonly\n")
    assert create_answer(offer, caps(Codec.pcmu())).media[0].direction is Direction.RECVONLY
    zero = OFFER.replace("c=IN IP4 192.0.2.10", "c=IN IP4 0.0.0.0")
    assert create_answer(zero, caps(Codec.pcmu())).media[0].direction is Direction.RECVONLY


def test_unhold_reoffer_bumps_version_only_on_change() -> None:
    local = caps(Codec.pcmu(), Codec.opus())
    first = create_offer(local)
    same = create_offer(local, previous=first)
    assert same.origin == first.origin
    local.direction = Direction.SENDONLY
    hold = create_offer(local, previous=first)
    assert hold.origin.session_version == first.origin.session_version + 1
    assert hold.origin.session_id == first.origin.session_id
    assert hold.media[0].direction is Direction.SENDONLY
    local.direction = Direction.SENDRECV
    unhold = create_offer(local, previous=hold)
    assert unhold.origin.session_version == first.origin.session_version + 2
    assert unhold.media[0].direction is Direction.SENDRECV


def test_answer_version_follows_previous_answer() -> None:
    local = caps(Codec.pcmu())
    a1 = create_answer(OFFER, local)
    a2 = create_answer(OFFER, local, previous=a1)
    assert a2.origin == a1.origin
    held = OFFER.replace("a=ptime:20", "a=ptime:20\na=sendonly")
    a3 = create_answer(held, local, previous=a1)
    assert a3.origin.session_version == a1.origin.session_version + 1


def test_create_offer_assigns_payload_types() -> None:
    offer = create_offer(
        caps(Codec.opus(), Codec.pcmu(), Codec.pcma(), Codec("speex", 16000), ptime=20)
    )
    m = offer.media[0]
    assert m.formats == ["96", "0", "8", "97", "101", "98", "99"]
    assert [(r.encoding, r.clock_rate) for r in m.rtpmaps[4:]] == [
        ("telephone-event", 48000),
        ("telephone-event", 8000),
        ("telephone-event", 16000),
    ]
    assert m.rtpmap[96].channels == 2
    assert m.fmtp["96"].params == "useinbandfec=1"
    assert m.fmtp["101"].params == "0-16"
    assert (m.ptime, m.direction, m.proto, m.port) == (20, Direction.SENDRECV, "RTP/AVP", 4000)
    assert offer.origin.session_id == 7
    assert SessionDescription.parse(str(offer)) == offer


def test_create_offer_ipv6_and_random_session_id() -> None:
    a = create_offer(Capabilities(codecs=[Codec.pcmu()], address="::1", port=5000))
    b = create_offer(Capabilities(codecs=[Codec.pcmu()], address="::1", port=5000))
    assert a.connection is not None and (a.connection.addrtype, a.connection.address) == (
        "IP6",
        "::1",
    )
    assert a.origin.addrtype == "IP6"
    assert a.origin.session_id != b.origin.session_id
    assert "c=IN IP6 ::1\r\n" in str(a)


def test_create_offer_errors() -> None:
    with pytest.raises(SdpNegotiationError):
        create_offer(Capabilities())
    dup = [Codec("PCMU", payload_type=0), Codec("PCMA", payload_type=0)]
    with pytest.raises(SdpNegotiationError) as e:
        create_offer(Capabilities(codecs=dup, port=4000))
    assert "used twice" in e.value.reason
    with pytest.raises(SdpNegotiationError) as e:
        create_offer(Capabilities(codecs=[Codec.pcmu()]))
    assert e.value.field == "port"
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(OFFER, Capabilities(codecs=[Codec.pcmu()]))
    assert e.value.field == "port"


def test_telephone_event_follows_the_codec_clock() -> None:
    chrome_like = OFFER.replace("RTP/AVP 0 8 111 101", "RTP/AVP 111 0 8 110 101").replace(
        "a=rtpmap:101 telephone-event/8000",
        "a=rtpmap:110 telephone-event/48000\na=rtpmap:101 telephone-event/8000",
    )
    narrow = create_answer(chrome_like, caps(Codec.pcmu()))
    assert narrow.media[0].formats == ["0", "101"]
    wide = create_answer(chrome_like, caps(Codec.opus()))
    assert wide.media[0].formats == ["111", "110"]
    result = negotiate(chrome_like, wide, local_is_offerer=False)
    assert result.telephone_event_pt == 110


def test_negotiate_as_offerer_with_opus() -> None:
    local = caps(Codec.opus(), Codec.pcmu(), rtcp_mux=True)
    offer = create_offer(local)
    remote = Capabilities(
        codecs=[Codec.opus("maxplaybackrate=16000;useinbandfec=1;stereo=1;ptime=40"), Codec.pcmu()],
        address="192.0.2.99",
        port=6000,
        rtcp_mux=True,
    )
    answer = create_answer(offer, remote)
    result = negotiate(offer, answer)
    assert (result.codec.name, result.codec.clock_rate, result.codec.channels) == ("opus", 48000, 2)
    assert result.payload_type == result.local_payload_type == 96
    assert result.telephone_event_pt == 101
    assert result.telephone_event_fmtp == "0-16"
    assert (result.remote_address, result.remote_port) == ("192.0.2.99", 6000)
    assert result.rtcp_mux is True and result.remote_rtcp_port == 6000
    assert result.direction is Direction.SENDRECV
    assert result.opus == OpusParams(
        maxplaybackrate=16000, useinbandfec=True, stereo=True, ptime=40
    )
    assert result.ptime == 40


def test_negotiate_as_answerer_uses_offer_parameters() -> None:
    answer = create_answer(OFFER, caps(Codec.opus(), Codec.pcmu()))
    result = negotiate(OFFER, answer, local_is_offerer=False)
    assert result.codec.name == "PCMU" and result.payload_type == 0
    assert (result.remote_address, result.remote_port, result.remote_rtcp_port) == (
        "192.0.2.10",
        30000,
        30001,
    )
    assert result.ptime == 20
    assert result.rtcp_mux is False
    assert result.telephone_event_fmtp == "0-15"
    opus_first = OFFER.replace("RTP/AVP 0 8 111 101", "RTP/AVP 111 0 8 101")
    r2 = negotiate(
        opus_first, create_answer(opus_first, caps(Codec.opus())), local_is_offerer=False
    )
    assert r2.opus is not None
    assert (r2.opus.maxplaybackrate, r2.opus.usedtx, r2.opus.stereo, r2.opus.sprop_stereo) == (
        24000,
        True,
        True,
        False,
    )


def test_answer_with_different_dynamic_pt_is_followed() -> None:
    offer = create_offer(caps(Codec.opus()))
    answer = SessionDescription.parse(
        str(create_answer(offer, caps(Codec.opus()))).replace("96", "109")
    )
    result = negotiate(offer, answer)
    assert (result.payload_type, result.local_payload_type) == (109, 96)


def test_negotiate_errors() -> None:
    offer = SessionDescription.parse(OFFER)
    answer = create_answer(offer, caps(Codec.pcmu()))
    short = SessionDescription.parse(str(answer))
    short.media.pop()
    with pytest.raises(SdpNegotiationError) as e:
        negotiate(offer, short)
    assert e.value.field == "m"
    rejected = SessionDescription.parse(str(answer))
    rejected.media[0].port = 0
    with pytest.raises(SdpNegotiationError) as e:
        negotiate(offer, rejected)
    assert "no audio" in e.value.reason
    alien = SessionDescription.parse(str(answer))
    alien.media[0].formats[0] = "18"
    alien.media[0].rtpmaps[0] = RtpMap(18, "G729", 8000)
    with pytest.raises(SdpNegotiationError) as e:
        negotiate(offer, alien)
    assert "did not list" in e.value.reason


def test_srtp_sdes_answer_and_negotiation() -> None:
    mine = Crypto(1, "AES_CM_128_HMAC_SHA1_32", "inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw")
    answer = create_answer(FREESWITCH_SRTP, caps(Codec.pcmu(), crypto=[mine]))
    audio = answer.media[0]
    assert audio.proto == "RTP/SAVP"
    assert audio.crypto == [Crypto(2, "AES_CM_128_HMAC_SHA1_32", mine.key_params)]
    assert audio.formats == ["0", "101"]
    result = negotiate(FREESWITCH_SRTP, answer, local_is_offerer=False)
    assert result.local_crypto == audio.crypto[0]
    assert result.remote_crypto is not None and result.remote_crypto.tag == 2
    assert result.remote_crypto.key_params.startswith("inline:NzB4")
    assert (result.remote_rtcp_address, result.remote_rtcp_port) == ("198.51.100.7", 28105)
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(FREESWITCH_SRTP, caps(Codec.pcmu()))
    assert "crypto" in e.value.reason
    offer = create_offer(caps(Codec.pcmu(), crypto=[mine]))
    assert offer.media[0].proto == "RTP/SAVP" and offer.media[0].crypto == [mine]


def test_real_endpoint_offers() -> None:
    local = caps(Codec.opus(), Codec.pcma(), Codec.pcmu())
    baresip = create_answer(BARESIP, local)
    assert baresip.media[0].formats == ["111", "0", "8", "101"]
    asterisk = create_answer(ASTERISK, local)
    assert asterisk.media[0].formats == ["0", "8", "101"]
    assert asterisk.media[1].port == 0
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(CHROME, local)  # DTLS-SRTP is not supported
    assert "UDP/TLS/RTP/SAVPF" in e.value.reason


def test_second_audio_stream_is_rejected() -> None:
    offer = OFFER.replace(
        "m=video 30002 RTP/AVP 96\na=rtpmap:96 H264/90000\n", "m=audio 30004 RTP/AVP 8\n"
    )
    answer = create_answer(offer, caps(Codec.pcma()))
    assert [m.port for m in answer.media] == [4000, 0]
    assert answer.media[1].formats == ["8"]


def test_answer_to_a_built_offer_with_repeated_formats_stays_valid() -> None:
    offer = SessionDescription.parse(OFFER)
    offer.media[0].formats = ["0", "0", "101", "101"]
    offer.media[0].rtpmaps = [r for r in offer.media[0].rtpmaps if r.payload_type in (0, 101)]
    offer.media[0].fmtps = [f for f in offer.media[0].fmtps if f.format == "101"]
    answer = create_answer(offer, caps(Codec.pcmu()))
    assert answer.media[0].formats == ["0", "101"]
    assert SessionDescription.parse(str(answer)) == answer


def test_sloppy_opus_fmtp_values_are_ignored() -> None:
    offer = OFFER.replace("RTP/AVP 0 8 111 101", "RTP/AVP 111 101").replace(
        "maxplaybackrate=24000;useinbandfec=1", "maxplaybackrate=lots;minptime;useinbandfec=1"
    )
    offer = offer.replace("a=rtpmap:0 PCMU/8000\n", "").replace("a=rtpmap:8 PCMA/8000\n", "")
    result = negotiate(offer, create_answer(offer, caps(Codec.opus())), local_is_offerer=False)
    assert result.opus is not None
    assert (result.opus.maxplaybackrate, result.opus.minptime) == (None, None)
    assert result.opus.useinbandfec is True
