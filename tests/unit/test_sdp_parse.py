"""SDP parsing, typed attributes, serialisation and round trips (RFC 8866)."""

from __future__ import annotations

import pytest
from test_sdp_samples import ASTERISK, BARESIP, CHROME, FREESWITCH_SRTP, IPV6, MULTICAST

from siperb.errors import SdpParseError
from siperb.sdp import (
    Attribute,
    Bandwidth,
    Candidate,
    Connection,
    Crypto,
    Direction,
    Extmap,
    Fingerprint,
    Group,
    Media,
    Msid,
    Rtcp,
    RtpMap,
    SessionDescription,
    Setup,
    Ssrc,
    Timing,
)

HEAD = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"


def media(*attrs: str, m: str = "m=audio 4000 RTP/AVP 0 8 96 101") -> Media:
    text = HEAD + m + "\r\n" + "".join(a + "\r\n" for a in attrs)
    session = SessionDescription.parse(text)
    assert SessionDescription.parse(str(session)) == session
    return session.media[0]


def test_minimal_session_fields() -> None:
    s = SessionDescription.parse(HEAD + "m=audio 4000 RTP/AVP 0\r\n")
    assert s.version == 0
    assert (s.origin.username, s.origin.session_id, s.origin.session_version) == ("-", 1, 1)
    assert s.origin.address == "10.0.0.1"
    assert s.name == "-"
    assert s.connection == Connection(address="10.0.0.1")
    assert s.timings == [Timing(0, 0)]
    assert s.media[0].kind == "audio"
    assert s.media[0].port == 4000
    assert s.media[0].formats == ["0"]
    assert str(s) == HEAD + "m=audio 4000 RTP/AVP 0\r\n"


@pytest.mark.parametrize("sample", [BARESIP, ASTERISK, FREESWITCH_SRTP, CHROME, IPV6, MULTICAST])
def test_real_world_round_trip(sample: str) -> None:
    s = SessionDescription.parse(sample)
    text = str(s)
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    assert SessionDescription.parse(text) == s
    assert str(SessionDescription.parse(text)) == text
    assert SessionDescription.parse(text.encode()) == s


def test_bytes_and_lf_and_trailing_whitespace_are_tolerated() -> None:
    crlf = SessionDescription.parse(ASTERISK.replace("\n", "\r\n"))
    lf = SessionDescription.parse(ASTERISK)
    sloppy = SessionDescription.parse(ASTERISK.replace("\n", "  \t\n").encode() + b"\n\n")
    assert crlf == lf == sloppy


def test_rtpmap_fmtp_ptime() -> None:
    m = media(
        "a=rtpmap:96 opus/48000/2",
        "a=fmtp:96 useinbandfec=1; stereo=0;maxplaybackrate=16000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=ptime:20",
        "a=maxptime:40",
    )
    assert m.rtpmap[96] == RtpMap(96, "opus", 48000, 2)
    assert m.rtpmap[101].channels is None
    assert m.fmtp["96"].parameters == {
        "useinbandfec": "1",
        "stereo": "0",
        "maxplaybackrate": "16000",
    }
    assert m.fmtp["101"].parameters == {"0-16": ""}
    assert (m.ptime, m.maxptime) == (20, 40)


@pytest.mark.parametrize("d", list(Direction))
def test_direction_media_and_session_default(d: Direction) -> None:
    assert media(f"a={d.value}").direction is d
    s = SessionDescription.parse(
        HEAD + f"a={d.value}\r\nm=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\na=inactive\r\n"
    )
    assert s.direction is d
    assert s.media[0].direction is None
    assert s.media_direction(0) is d
    assert s.media_direction(1) is Direction.INACTIVE
    no_default = SessionDescription.parse(HEAD + "m=audio 1 RTP/AVP 0\r\n")
    assert no_default.media_direction(0) is Direction.SENDRECV


def test_rtcp_and_rtcp_mux() -> None:
    assert media("a=rtcp:4001").rtcp == Rtcp(4001)
    assert media("a=rtcp:9 IN IP6 ::1").rtcp == Rtcp(9, "IN", "IP6", "::1")
    assert media("a=rtcp-mux").rtcp_mux is True
    assert media().rtcp_mux is False


def test_crypto() -> None:
    s = SessionDescription.parse(FREESWITCH_SRTP)
    c1, c2 = s.media[0].crypto
    assert c1 == Crypto(
        1,
        "AES_CM_128_HMAC_SHA1_80",
        "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32",
        ["KDR=1"],
    )
    assert (c2.tag, c2.suite, c2.session_params) == (2, "AES_CM_128_HMAC_SHA1_32", [])


def test_dtls_ice_attributes() -> None:
    s = SessionDescription.parse(CHROME)
    audio = s.media[0]
    assert s.groups == [Group("BUNDLE", ["0", "1"])]
    assert audio.fingerprints[0].hash_func == "sha-256"
    assert audio.fingerprints[0].value.startswith("7B:8B:F0")
    assert audio.setup is Setup.ACTPASS
    assert (audio.ice_ufrag, audio.ice_pwd) == ("a1b2", "asd88fgpdd777uzjYhagZg0123456789")
    assert audio.ice_options == ["trickle", "renomination"]
    assert audio.mid == "0"
    assert audio.proto == "UDP/TLS/RTP/SAVPF"
    assert audio.rtcp == Rtcp(9, "IN", "IP4", "0.0.0.0")


def test_candidates() -> None:
    host, srflx, tcp = SessionDescription.parse(CHROME).media[0].candidates
    assert host == Candidate(
        "1467250027",
        1,
        "udp",
        2122260223,
        "192.168.0.196",
        54400,
        "host",
        extensions=[("generation", "0"), ("network-id", "1")],
    )
    assert (srflx.type, srflx.related_address, srflx.related_port) == (
        "srflx",
        "192.168.0.196",
        54400,
    )
    assert tcp.extensions[0] == ("tcptype", "active")


def test_ssrc_extmap_msid() -> None:
    audio = SessionDescription.parse(CHROME).media[0]
    assert audio.ssrcs == [
        Ssrc(3570614608, "cname", "4TOk42mSjXCkVIa6"),
        Ssrc(3570614608, "msid", "stream1 track1"),
    ]
    assert audio.extmaps[0] == Extmap(1, None, "urn:ietf:params:rtp-hdrext:ssrc-audio-level")
    assert audio.extmaps[1].direction is Direction.RECVONLY
    assert audio.msids == [Msid("stream1", "track1")]
    assert media("a=ssrc:1 foo").ssrcs == [Ssrc(1, "foo", None)]
    assert media("a=extmap:3/sendonly urn:x ext1 ext2").extmaps[0].attributes == "ext1 ext2"


def test_unknown_attributes_kept_in_order() -> None:
    s = SessionDescription.parse(CHROME)
    assert s.attributes == [
        Attribute("extmap-allow-mixed", None),
        Attribute("msid-semantic", " WMS stream1"),
    ]
    names = [a.name for a in s.media[0].attributes]
    assert names == ["rtcp-fb"]
    video = s.media[1]
    assert [a.name for a in video.attributes] == ["rtcp-rsize", "ssrc-group"]
    assert "a=msid-semantic: WMS stream1\r\n" in str(s)
    assert str(s).index("a=rtcp-rsize") < str(s).index("a=ssrc-group:FID 1 2")


def test_ipv6_and_multicast_connections() -> None:
    s = SessionDescription.parse(IPV6)
    assert s.connection == Connection("2001:db8::1", "IP6")
    assert s.media[1].connection == Connection("::1", "IP6")
    assert s.media_connection(0) == s.connection
    m = SessionDescription.parse(MULTICAST)
    assert m.connection == Connection("233.252.0.1", "IP4", ttl=127, count=3)
    assert m.media[1].connection == Connection("ff15::101", "IP6", count=3)
    assert "c=IN IP4 233.252.0.1/127/3\r\n" in str(m)


def test_session_level_lines_and_port_count() -> None:
    s = SessionDescription.parse(MULTICAST)
    assert s.information == "SDP Offer #1"
    assert s.uri == "http://www.jdoe.example.com/home.html"
    assert s.emails == ["Jane Doe <jane@jdoe.example.com>"]
    assert s.phones == ["+1 617 555-6011"]
    assert s.bandwidths == [Bandwidth("TIAS", 64000)]
    assert s.timings == [Timing(3724394400, 3724398000, ["604800 3600 0 90000"])]
    assert s.zone == "2882844526 -1h 2898848070 0"
    assert s.key == "prompt"
    assert (s.media[0].port, s.media[0].port_count) == (49170, 2)
    assert s.media[0].information == "Speech"
    assert s.media[0].bandwidths == [Bandwidth("AS", 64)]
    assert s.media[0].key == "clear:secret"
    assert (s.media[2].kind, s.media[2].proto, s.media[2].formats) == ("image", "udptl", ["t38"])
    assert s.media[2].attributes[0] == Attribute("T38FaxVersion", "0")


def test_field_order_follows_rfc_8866() -> None:
    s = SessionDescription.parse(MULTICAST)
    types = [line[0] for line in str(s).split("\r\n") if line]
    session_part = "".join(types[: types.index("m")])
    assert session_part == "vosiuepcbtrzka"


def test_unknown_proto_and_media_kept() -> None:
    m = media(m="m=text 5000 RTP/AVP/TCP 98")
    assert (m.kind, m.proto) == ("text", "RTP/AVP/TCP")
    app = media(m="m=application 9 TCP/BFCP *")
    assert app.formats == ["*"]


def test_build_from_python() -> None:
    s = SessionDescription(connection=Connection("192.0.2.1"))
    s.origin.session_id = 42
    s.media.append(
        Media(
            port=5004,
            formats=["0", "96"],
            rtpmaps=[RtpMap(0, "PCMU", 8000), RtpMap(96, "opus", 48000, 2)],
            direction=Direction.SENDONLY,
            fingerprints=[Fingerprint("sha-256", "AB:CD")],
            setup=Setup.PASSIVE,
            attributes=[Attribute("x-flag")],
        )
    )
    text = str(s)
    assert "m=audio 5004 RTP/AVP 0 96\r\n" in text
    assert "a=sendonly\r\n" in text and "a=setup:passive\r\n" in text and "a=x-flag\r\n" in text
    assert SessionDescription.parse(text) == s


def test_edit_parsed_session() -> None:
    s = SessionDescription.parse(ASTERISK)
    s.media[0].direction = Direction.SENDONLY
    s.media[0].port = 0
    s.media[0].formats.remove("3")
    s.media[0].rtpmaps = [r for r in s.media[0].rtpmaps if r.payload_type != 3]
    again = SessionDescription.parse(str(s))
    assert again.media[0].direction is Direction.SENDONLY
    assert again.media[0].port == 0
    assert "3" not in again.media[0].formats


def test_serialiser_refuses_line_breaks() -> None:
    s = SessionDescription(name="x\r\na=evil")
    with pytest.raises(SdpParseError) as e:
        str(s)
    assert e.value.field == "s"


BAD = [
    ("o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", "v", "first line"),
    ("v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", "v", "version"),
    ("v=0\r\ns=-\r\nt=0 0\r\n", "o", "missing"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n", "s", "missing"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", "t", "missing"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n", "t", "missing"),
    ("v=0\r\no=- x 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", "o", "sess-id"),
    ("v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n", "o", "expected"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=now 0\r\n", "t", "not a number"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nr=1 2 3\r\nt=0 0\r\n", "r", "before"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nx=1\r\n", "x", "unknown"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\ngarbage\r\n", "line 5", "type"),
    ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\ns=again\r\nt=0 0\r\n", "s", "more than once"),
]


@pytest.mark.parametrize(("text", "field", "reason"), BAD)
def test_malformed_session(text: str, field: str, reason: str) -> None:
    with pytest.raises(SdpParseError) as e:
        SessionDescription.parse(text)
    assert e.value.field == field
    assert reason in e.value.reason


BAD_MEDIA = [
    ("m=audio x RTP/AVP 0", [], "m", "port"),
    ("m=audio 70000 RTP/AVP 0", [], "m", "out of range"),
    ("m=audio 4000/0 RTP/AVP 0", [], "m", "port count"),
    ("m=audio 4000 RTP/AVP", [], "m", "no media formats"),
    ("m=audio 4000 RTP/AVP PCMU", [], "m", "payload type"),
    ("m=audio 4000 RTP/AVP 200", [], "m", "payload type"),
    ("m=audio 4000", [], "m", "expected"),
    ("m=audio 4000 RTP/AVP 0", ["a=rtpmap:96 opus/48000/2"], "a=rtpmap", "not in the m= line"),
    ("m=audio 4000 RTP/AVP 96", ["a=rtpmap:96 opus"], "a=rtpmap", "clock rate"),
    ("m=audio 4000 RTP/AVP 96", ["a=rtpmap:96 opus/fast"], "a=rtpmap", "clock rate"),
    ("m=audio 4000 RTP/AVP 96", ["a=rtpmap:96 opus/48000/0"], "a=rtpmap", "channels"),
    ("m=audio 4000 RTP/AVP 96", ["a=rtpmap:96 a/1", "a=rtpmap:96 b/1"], "a=rtpmap", "twice"),
    ("m=audio 4000 RTP/AVP 96", ["a=rtpmap"], "a=rtpmap", "missing value"),
    ("m=audio 4000 RTP/AVP 0", ["a=fmtp:8 annexb=no"], "a=fmtp", "not in the m= line"),
    ("m=audio 4000 RTP/AVP 0", ["a=ptime:twenty"], "a=ptime", "not a number"),
    ("m=audio 4000 RTP/AVP 0", ["a=ptime:20", "a=ptime:30"], "a=ptime", "more than once"),
    ("m=audio 4000 RTP/AVP 0", ["a=sendonly", "a=recvonly"], "a=recvonly", "direction"),
    ("m=audio 4000 RTP/AVP 0", ["a=sendonly:now"], "a=sendonly", "no value"),
    ("m=audio 4000 RTP/AVP 0", ["a=rtcp:port"], "a=rtcp", "port"),
    ("m=audio 4000 RTP/AVP 0", ["a=rtcp:9 IN IP4"], "a=rtcp", "expected"),
    ("m=audio 4000 RTP/SAVP 0", ["a=crypto:1 AES_CM_128_HMAC_SHA1_80"], "a=crypto", "expected"),
    ("m=audio 4000 RTP/SAVP 0", ["a=crypto:x AES_CM inline:k"], "a=crypto", "tag"),
    ("m=audio 4000 RTP/SAVP 0", ["a=crypto:1 AES_CM key"], "a=crypto", "key-params"),
    ("m=audio 4000 RTP/AVP 0", ["a=fingerprint:sha-256"], "a=fingerprint", "expected"),
    ("m=audio 4000 RTP/AVP 0", ["a=setup:maybe"], "a=setup", "actpass"),
    ("m=audio 4000 RTP/AVP 0", ["a=candidate:1 1 udp 1 1.2.3.4 5 host"], "a=candidate", "expected"),
    ("m=audio 4000 RTP/AVP 0", ["a=candidate:1 1 udp 1 1.2.3.4 5 xyz host"], "a=candidate", "typ"),
    (
        "m=audio 4000 RTP/AVP 0",
        ["a=candidate:1 1 udp 1 1.2.3.4 5 typ host raddr"],
        "a=candidate",
        "no value",
    ),
    (
        "m=audio 4000 RTP/AVP 0",
        ["a=candidate:1 1 udp p 1.2.3.4 5 typ host"],
        "a=candidate",
        "priority",
    ),
    ("m=audio 4000 RTP/AVP 0", ["a=ssrc:abc cname:x"], "a=ssrc", "ssrc id"),
    ("m=audio 4000 RTP/AVP 0", ["a=ssrc:1"], "a=ssrc", "expected"),
    ("m=audio 4000 RTP/AVP 0", ["a=extmap:1/sideways urn:x"], "a=extmap", "direction"),
    ("m=audio 4000 RTP/AVP 0", ["a=extmap:1"], "a=extmap", "expected"),
    ("m=audio 4000 RTP/AVP 0", ["a=mid:"], "a=mid", "token"),
    ("m=audio 4000 RTP/AVP 0", ["a=msid:a b c"], "a=msid", "expected"),
    ("m=audio 4000 RTP/AVP 0", ["a=:x"], "a", "attribute name"),
    ("m=audio 4000 RTP/AVP 0", ["c=IN IP4"], "c", "expected"),
    ("m=audio 4000 RTP/AVP 0", ["c=IN IP4 300.1.2.3"], "c", "IPv4"),
    ("m=audio 4000 RTP/AVP 0", ["c=IN IP6 fe80::1::2"], "c", "IPv6"),
    ("m=audio 4000 RTP/AVP 0", ["c=IN IP4 224.1.1.1/300"], "c", "TTL"),
    ("m=audio 4000 RTP/AVP 0", ["c=IN IP6 ff15::1/3/2"], "c", "count"),
    ("m=audio 4000 RTP/AVP 0 8 0", [], "m", "listed twice"),
    ("m=audio 4000 RTP/AVP 0 08", [], "m", "leading zero"),
    (
        "m=audio 4000 RTP/SAVP 0",
        ["a=crypto:1 A inline:k", "a=crypto:1 B inline:j"],
        "a=crypto",
        "twice",
    ),
    ("m=audio 4000 RTP/AVP 0", ["b=AS"], "b", "expected"),
    ("m=audio 4000 RTP/AVP 0", ["b=AS:lots"], "b", "not a number"),
    ("m=audio 4000 RTP/AVP 0", ["t=0 0"], "t", "after an m= line"),
]


@pytest.mark.parametrize(("mline", "attrs", "field", "reason"), BAD_MEDIA)
def test_malformed_media(mline: str, attrs: list[str], field: str, reason: str) -> None:
    text = HEAD + mline + "\r\n" + "".join(a + "\r\n" for a in attrs)
    with pytest.raises(SdpParseError) as e:
        SessionDescription.parse(text)
    assert e.value.field == field, e.value
    assert reason in e.value.reason, e.value


def test_media_without_any_connection_is_an_error() -> None:
    text = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    with pytest.raises(SdpParseError) as e:
        SessionDescription.parse(text)
    assert e.value.field == "c"
    assert "no c= line" in e.value.reason
    ok = SessionDescription.parse(text + "c=IN IP4 1.2.3.4\r\n")
    assert ok.media[0].connection == Connection("1.2.3.4")
    disabled = SessionDescription.parse(text.replace("4000", "0"))
    assert disabled.media[0].port == 0


@pytest.mark.parametrize("junk", [b"\x00", b"\r", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80"])
def test_nul_bare_cr_and_bad_utf8_are_rejected(junk: bytes) -> None:
    with pytest.raises(SdpParseError) as e:
        SessionDescription.parse(HEAD.encode() + b"a=x" + junk + b"y\r\n")
    assert e.value.field == "a"


def test_utf8_text_is_kept() -> None:
    s = SessionDescription.parse(HEAD.replace("s=-", "s=Gr\u00fc\u00dfe \U0001f4de"))
    assert s.name == "Gr\u00fc\u00dfe \U0001f4de"
    assert SessionDescription.parse(str(s).encode()) == s


def test_enum_fields_accept_sdp_spelling_and_reject_nonsense() -> None:
    s = SessionDescription(connection=Connection("10.0.0.1"))
    s.media.append(Media(port=1, formats=["0"], direction="recvonly", setup="active"))  # type: ignore[arg-type]
    again = SessionDescription.parse(str(s))
    assert again.media[0].direction is Direction.RECVONLY
    assert again.media[0].setup is Setup.ACTIVE
    assert again.media[0].direction == "recvonly"
    s.media[0].direction = "sideways"  # type: ignore[assignment]
    with pytest.raises(ValueError):
        str(s)


def test_fmtp_parameters_of_a_built_fmtp() -> None:
    from siperb.sdp import Fmtp

    f = Fmtp("111", " maxplaybackrate=48000 ; ;usedtx=1;flag")
    assert f.parameters == {"maxplaybackrate": "48000", "usedtx": "1", "flag": ""}


def test_session_level_typed_attributes() -> None:
    body = (
        "a=ice-ufrag:U1\r\na=ice-pwd:P1\r\na=ice-options:trickle\r\n"
        "a=fingerprint:sha-1 AA:BB\r\na=setup:holdconn\r\na=group:LS 1 2\r\n"
    )
    s = SessionDescription.parse(HEAD + body)
    assert (s.ice_ufrag, s.ice_pwd, s.ice_options) == ("U1", "P1", ["trickle"])
    assert s.fingerprints == [Fingerprint("sha-1", "AA:BB")]
    assert s.setup is Setup.HOLDCONN
    assert s.groups == [Group("LS", ["1", "2"])]
    assert s.attributes == []
    assert SessionDescription.parse(str(s)) == s
    # Media-only attributes at session level are kept as they are.
    other = SessionDescription.parse(HEAD + "a=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n")
    assert [a.name for a in other.attributes] == ["rtpmap", "ptime"]
