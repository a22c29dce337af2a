"""Every byte sequence that reaches a parser through Python parses or raises a siperb.errors
exception: never UnicodeDecodeError, ValueError, IndexError or anything else from the glue.

Each entry point is fed random bytes and mutations of a valid input (bytes replaced by octets
that are not UTF-8, inserted, deleted, the input cut short); what parses is then walked (every
property, typed header and repr), because typed SIP headers are parsed when first asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siperb import sip
from siperb.errors import SiperbError, SipParseError
from siperb.media import dtmf, rtcp, rtp
from siperb.sdp import SessionDescription
from siperb.sip.session.info import parse_dtmf_relay
from siperb.sip.session.transfer import parse_sipfrag_status

DATA = Path(__file__).resolve().parents[1] / "data" / "sip"

SDP = (
    b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    b"m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
    b"a=sendrecv\r\na=setup:actpass\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
)
INVITE = (
    b"INVITE sip:bob@example.com;transport=udp SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\n"
    b'From: "Al" <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n'
    b"Call-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.1>;expires=60\r\n"
    b"Max-Forwards: 70\r\nRoute: <sip:p@example.com;lr>\r\nAllow: INVITE, BYE\r\n"
    b"Supported: replaces\r\n"
    b"Refer-To: <sip:c@example.com?Replaces=a%40b%3Bto-tag%3D1%3Bfrom-tag%3D2>\r\n"
    b"Replaces: a@b;to-tag=1;from-tag=2\r\nEvent: refer;id=3\r\n"
    b'Subscription-State: active;expires=60\r\nReason: Q.850;cause=16;text="x"\r\n'
    b'Authorization: Digest username="a", realm="r", nonce="n", uri="sip:b", response="0"\r\n'
    b"Content-Type: application/sdp\r\nContent-Length: "
    + str(len(SDP)).encode()
    + b"\r\n\r\n"
    + SDP
)
RESPONSE = (
    b"SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK2;received=192.0.2.9\r\n"
    b"From: <sip:a@b>;tag=9\r\nTo: <sip:a@b>;tag=8\r\nCall-ID: x\r\nCSeq: 2 REGISTER\r\n"
    b'WWW-Authenticate: Digest realm="r", nonce="n", qop="auth", algorithm=MD5\r\n'
    b"Content-Length: 0\r\n\r\n"
)
SIP_SEEDS = [
    INVITE,
    RESPONSE,
    *(p.read_bytes() for p in sorted((DATA / "rfc4475").glob("*.dat"))[:12]),
]
RTP = bytes(rtp.RtpPacket(payload_type=0, sequence_number=7, timestamp=160, payload=b"\xff" * 20))
RTP_EXT = bytes.fromhex("900000070000000a0000000bbede000110ff0000") + b"\x00" * 8
RTCP = rtcp.build_compound([
    rtcp.RtcpReceiverReport(ssrc=1, reports=[rtcp.RtcpReportBlock()]),
    rtcp.RtcpSdes([rtcp.RtcpSdesChunk(1, [rtcp.RtcpSdesItem(1, "cname@host")])]),
    rtcp.RtcpBye([1], "bye"),
    rtcp.RtcpApp(1, 1, "NAME", b"data"),
])  # fmt: skip
EVENT = bytes(dtmf.TelephoneEvent(5, True, 10, 800))


def walk(obj: Any, depth: int = 0) -> None:
    """Read every public property of a parse result, recursively (lazy parsing happens here)."""
    if depth > 4 or obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        return
    if isinstance(obj, (list, tuple)):
        for item in obj:
            walk(item, depth + 1)
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            walk(key, depth + 1)
            walk(value, depth + 1)
        return
    repr(obj)
    for name in dir(obj):
        if name.startswith("_"):
            continue
        value = getattr(obj, name)
        if not callable(value):
            walk(value, depth + 1)


def parse_sip(data: bytes) -> None:
    msg = sip.parse(data)
    walk(msg)
    str(msg.uri) if msg.uri is not None else None
    bytes(msg)


def feed_framer(data: bytes) -> None:
    framer = sip.StreamFramer(4096)
    half = len(data) // 2
    for chunk in (data[:half], data[half:]):
        walk(framer.feed(chunk))


def parse_uri(data: bytes) -> None:
    walk(sip.Uri.parse(data))  # type: ignore[arg-type]  # the binding takes bytes as well


def parse_sdp(data: bytes) -> None:
    walk(SessionDescription.parse(data))


def parse_rtp(data: bytes) -> None:
    packet = rtp.parse(data)
    walk(packet)
    rtp.peek_header(data)
    if packet.extension is not None:
        walk(rtp.parse_extension_elements(packet.extension))


def parse_rtcp(data: bytes) -> None:
    walk(rtcp.parse_compound(data))


def parse_rtcp_lenient(data: bytes) -> None:
    walk(rtcp.parse_compound(data, strict=False))


def parse_event(data: bytes) -> None:
    walk(dtmf.TelephoneEvent.parse(data))


def parse_bodies(data: bytes) -> None:
    parse_dtmf_relay(data)
    parse_sipfrag_status(data)


ENTRY_POINTS: dict[str, tuple[Callable[[bytes], None], list[bytes]]] = {
    "sip": (parse_sip, SIP_SEEDS),
    "framer": (feed_framer, SIP_SEEDS),
    "uri": (
        parse_uri,
        [b"sip:alice:pw@[2001:db8::1]:5061;transport=tcp;lr?subject=a%20b", b"tel:+1-212;ext=1"],
    ),
    "sdp": (parse_sdp, [SDP]),
    "rtp": (parse_rtp, [RTP, RTP_EXT]),
    "rtcp": (parse_rtcp, [RTCP]),
    "rtcp-lenient": (parse_rtcp_lenient, [RTCP]),
    "telephone-event": (parse_event, [EVENT]),
    "info-and-sipfrag-bodies": (
        parse_bodies,
        [b"Signal=5\r\nDuration=160\r\n", b"SIP/2.0 200 OK\r\n"],
    ),
}
NOT_UTF8 = st.sampled_from(
    [0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xF5, 0xFE, 0xFF, 0x00, 0x7F, 0x0B]
)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.integers(0, 3))
        if op == 0:
            data[i] = draw(NOT_UTF8)
        elif op == 1:
            data[i:i] = bytes([draw(NOT_UTF8)]) * draw(st.integers(1, 3))
        elif op == 2:
            del data[i : i + draw(st.integers(1, 8))]
        else:
            data = data[:i]
    return bytes(data)


def check(parse: Callable[[bytes], None], data: bytes) -> None:
    try:
        parse(data)
    except SiperbError as e:
        str(e)  # the message and its parts are text
        assert e.reason is None or isinstance(e.reason, str)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_seeds_parse(entry: str) -> None:
    parse, seeds = ENTRY_POINTS[entry]
    for seed in seeds[:2]:
        parse(seed)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_and_mutated_bytes(entry: str, data: st.DataObject) -> None:
    parse, seeds = ENTRY_POINTS[entry]
    check(parse, data.draw(st.one_of(st.binary(max_size=600), mutated(seeds))))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"INVITE sip:a@b SIP/\xff2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n", "start-line"),
        (
            b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nX\xffY: 1\r\n\r\n",
            "headers",
        ),
        (
            b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nX\x00Y: 1\r\n\r\n",
            "headers",
        ),
    ],
)
def test_non_utf8_in_tokens_is_a_parse_error(data: bytes, field: str) -> None:
    with pytest.raises(SipParseError) as info:
        sip.parse(data)
    assert info.value.field == field
    assert "\\x" in (info.value.reason or "")  # the bad octet shown, escaped


def test_sipfrag_status_ignores_non_ascii_digits() -> None:
    assert parse_sipfrag_status("SIP/2.0 ²00 OK".encode()) is None
