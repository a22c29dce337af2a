"""Building messages from Python, editing copies, and serialise/parse round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siperb import sip
from siperb.errors import SipParseError

HEADERS = [
    ("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport"),
    ("Max-Forwards", "70"),
    ("From", '"Alice" <sip:alice@example.com>;tag=a1'),
    ("To", "<sip:bob@example.com>"),
    ("Call-ID", "call-1@example.com"),
    ("CSeq", "1 INVITE"),
    ("Contact", "<sip:alice@192.0.2.1:5060>"),
    ("Content-Type", "application/sdp"),
]


def test_request_builder_computes_content_length_and_keeps_order() -> None:
    body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n"
    m = sip.Request(
        "INVITE", sip.Uri.parse("sip:bob@example.com"), [*HEADERS, ("Content-Length", "999")], body
    )
    assert m.is_request and m.method == "INVITE" and str(m.uri) == "sip:bob@example.com"
    assert m.content_length == len(body) and m.body == body
    assert [n for n, _ in m.headers] == [n for n, _ in HEADERS] + ["Content-Length"]
    wire = bytes(m)
    assert wire.startswith(
        b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;"
    )
    assert wire.endswith(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert sip.parse(wire).headers == m.headers


def test_response_builder() -> None:
    m = sip.Response(
        200,
        "OK",
        [
            (n, v.replace("<sip:bob@example.com>", "<sip:bob@example.com>;tag=b2"))
            for n, v in HEADERS
            if n != "Max-Forwards"
        ],
    )
    assert (m.status, m.reason, m.to.tag, m.body) == (200, "OK", "b2", b"")
    assert bytes(m).startswith(b"SIP/2.0 200 OK\r\n")
    assert sip.Response(100, "", []).reason == ""


@pytest.mark.parametrize(
    "call",
    [
        lambda: sip.Request("IN VITE", "sip:a@b", HEADERS),
        lambda: sip.Request("INVITE", "sip:a b", HEADERS),
        lambda: sip.Request("INVITE", "sip:a@b", [("X-Evil", "a\r\nInjected: 1")]),
        lambda: sip.Request("INVITE", "sip:a@b", [("Bad Name", "x")]),
        lambda: sip.Response(99, "Low", []),
        lambda: sip.Response(200, "OK\r\nX: y", []),
        lambda: sip.Request("INVITE", "sip:a@b", [("CSeq", "1 BYE")]),
    ],
)
def test_builders_validate(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SipParseError):
        call()


def test_editing_copies() -> None:
    m = sip.Request("INVITE", "sip:bob@example.com", HEADERS, b"v=0\r\n")
    m2 = m.with_header("max-forwards", "69")
    assert m2.max_forwards == 69 and m.max_forwards == 70
    assert [n for n, _ in m2.headers][:3] == ["Via", "max-forwards", "From"]
    m3 = m.with_added_header("Via", "SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp", first=True)
    assert [v.host for v in m3.via] == ["proxy.example.com", "192.0.2.1"]
    m4 = m3.without_header("v")
    assert m4.via == [] and m4.body == b"v=0\r\n"
    m5 = m.with_added_header("Record-Route", "<sip:p.example.com;lr>")
    assert m5.headers[-2] == ("Record-Route", "<sip:p.example.com;lr>")
    m6 = m.with_body(b"hello", content_type="text/plain")
    assert (m6.body, m6.content_length, m6.content_type) == (b"hello", 5, "text/plain")
    assert m.with_body(b"").content_length == 0
    with pytest.raises(SipParseError):
        m.with_header("Max-Forwards", "300")
    with pytest.raises(SipParseError):
        m.with_header("X-A", "line\nbreak")


def test_parsed_message_serialises_to_equivalent_bytes() -> None:
    raw = bytes(sip.Request("INVITE", "sip:bob@example.com", HEADERS, b"body"))
    m = sip.parse(raw + b"trailing junk in the datagram")
    assert bytes(m) == raw


token = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~",
    min_size=1,
    max_size=12,
)
host = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True)
user = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()&=+$,;?/", min_size=1, max_size=16
)
value = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).map(
    str.strip
)


@settings(max_examples=200, deadline=None)
@given(
    method=token,
    ruser=user,
    rhost=host,
    port=st.none() | st.integers(min_value=0, max_value=65535),
    display=st.none()
    | st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
    tag=token,
    branch=token,
    cseq=st.integers(min_value=0, max_value=2**32 - 1),
    mf=st.integers(min_value=0, max_value=255),
    extra=st.lists(st.tuples(token, value), max_size=5),
    body=st.binary(max_size=64),
)
def test_round_trip(
    method, ruser, rhost, port, display, tag, branch, cseq, mf, extra, body
) -> None:  # type: ignore[no-untyped-def]
    uri = f"sip:{ruser}@{rhost}" + (f":{port}" if port is not None else "")
    quoted = None
    if display is not None:
        quoted = '"' + display.replace("\\", "\\\\").replace('"', '\\"') + '" '
    headers = [
        ("Via", f"SIP/2.0/UDP {rhost};branch={branch}"),
        ("From", f"{quoted or ''}<{uri}>;tag={tag}"),
        ("To", f"<{uri}>"),
        ("Call-ID", f"{tag}@{rhost}"),
        ("CSeq", f"{cseq} {method}"),
        ("Max-Forwards", str(mf)),
        *[("X-" + n, v) for n, v in extra],
    ]
    built = sip.Request(method, uri, headers, body)
    m = sip.parse(bytes(built))
    assert m.method == method and str(m.uri) == uri
    assert m.uri.user == ruser and m.uri.host == rhost and m.uri.port == port
    assert m.from_.display_name == display
    assert m.from_.tag == tag and m.from_.uri == m.to.uri == m.uri
    assert (m.cseq.number, m.cseq.method, m.max_forwards) == (cseq, method, mf)
    assert m.via[0].branch == branch and m.via[0].host == rhost
    assert m.headers == built.headers and m.body == body
    for n, v in extra:
        assert v in m.header_values("X-" + n)
