"""Header grammars: typed access to each header siperb interprets, and strict rejection."""

from __future__ import annotations

import pytest

from siperb import sip
from siperb.errors import SipParseError

BASE = [
    ("Via", "SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776"),
    ("To", "<sip:bob@example.com>"),
    ("From", "<sip:alice@example.com>;tag=1928"),
    ("Call-ID", "a84b4c76e66710"),
    ("CSeq", "1 INVITE"),
]


def request(
    *extra: tuple[str, str], replace: dict[str, str] | None = None, body: bytes = b""
) -> sip.Message:
    headers = [(n, (replace or {}).get(n, v)) for n, v in BASE] + list(extra)
    text = "INVITE sip:bob@example.com SIP/2.0\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    text += f"Content-Length: {len(body)}\r\n\r\n"
    return sip.parse(text.encode() + body)


def rejects(
    field: str, *extra: tuple[str, str], replace: dict[str, str] | None = None
) -> SipParseError:
    with pytest.raises(SipParseError) as info:
        m = request(*extra, replace=replace)
        if field == "Contact":  # parsed when first read, not by sip.parse
            _ = m.contact
    assert info.value.field == field, info.value
    return info.value


def test_via_fields() -> None:
    m = request(
        replace={
            "Via": "SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKa;received=192.0.2.1;rport=5071;"
            'maddr=224.2.0.1;ttl=16;x-foo="bar", SIP / 2.0 / UDP h2 ; rport ; branch = z9hG4bKb'
        }
    )
    a, b = m.via
    assert (a.protocol, a.transport, a.host, a.port) == ("SIP/2.0", "TCP", "[2001:db8::1]", 5070)
    assert (a.branch, a.received, a.rport, a.maddr, a.ttl) == (
        "z9hG4bKa",
        "192.0.2.1",
        5071,
        "224.2.0.1",
        16,
    )
    assert a.params["x-foo"] == "bar"
    assert (b.transport, b.host, b.port, b.rport, b.branch, b.ttl) == (
        "UDP",
        "h2",
        None,
        True,
        "z9hG4bKb",
        None,
    )
    assert m.header_values("v") == [a.raw, b.raw]


@pytest.mark.parametrize(
    "value",
    [
        "SIP/2.0/UDP",
        "SIP/2.0 host",
        "SIP/2.0/UDPhost",
        "SIP/2.0/UDP host;;branch=x",
        "SIP/2.0/UDP host;branch",
        "SIP/2.0/UDP host:99999",
        "SIP/2.0/UDP host;ttl=256",
        "SIP/2.0/UDP host;rport=x",
        'SIP/2.0/UDP host;branch="open',
        "SIP/2.0/UDP [2001:db8:::1]",
    ],
)
def test_bad_via_rejected(value: str) -> None:
    rejects("Via", replace={"Via": value})


def test_name_addr_forms() -> None:
    m = request(
        (
            "Contact",
            '"Alice \\"A\\" Smith" <sip:alice@pc33.example.com>;expires=60;q=0.5, '
            "Bob <sip:bob@h>, sip:carol@h;x",
        ),
        ("Route", "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>"),
        ("Record-Route", "<sip:rr.example.com;lr>"),
        replace={"To": "Bob Smith <sip:bob@example.com>;tag=xyz;foo"},
    )
    assert (
        m.to.display_name == "Bob Smith"
        and m.to.tag == "xyz"
        and m.to.params == {"tag": "xyz", "foo": None}
    )
    a, b, c = m.contact
    assert a.display_name == 'Alice "A" Smith' and a.expires == 60 and a.q == 0.5
    assert b.display_name == "Bob" and b.expires is None and b.q is None
    assert c.display_name is None and c.uri.user == "carol" and c.params == {"x": None}
    assert [r.uri.host for r in m.route] == ["p1.example.com", "p2.example.com"]
    assert m.record_route[0].uri.params == {"lr": None}
    assert not m.contact_star


def test_contact_star_and_absent_contact() -> None:
    assert request(("Contact", "*")).contact_star
    rejects("Contact", ("Contact", "*"), ("Contact", "<sip:a@b>"))
    m = request()
    assert m.contact == [] and not m.contact_star and m.route == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("To", '"unterminated <sip:bob@example.com>'),
        ("To", "<sip:bob@example.com"),
        ("To", "Bob, Smith <sip:bob@example.com>"),
        ("To", "< sip:bob@example.com>"),
        ("To", "sip:bob@example.com?x=y"),
        ("From", "<sip:alice@example.com>;tag"),
        ("From", "<sip:alice@example.com>;;tag=1"),
        ("Call-ID", "has space"),
        ("Call-ID", "a@b@c"),
        ("CSeq", "x INVITE"),
        ("CSeq", "4294967296 INVITE"),
        ("CSeq", "1"),
        ("CSeq", "1 INV ITE"),
    ],
)
def test_bad_core_headers_rejected(name: str, value: str) -> None:
    rejects(name, replace={name: value})


def test_cseq_range_and_method() -> None:
    m = request(replace={"CSeq": "4294967295 INVITE"})
    assert (m.cseq.number, m.cseq.method) == (4294967295, "INVITE")
    rejects("CSeq", replace={"CSeq": "1 BYE"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Max-Forwards", "256"),
        ("Max-Forwards", "-1"),
        ("Max-Forwards", "seventy"),
        ("Expires", "soon"),
        ("Contact", "<sip:a@b>;;"),
        ("Contact", "<sip:a@b>,,<sip:c@d"),
        ("Date", "Fri, 01 Jan 2010 16:00:00 EST"),
    ],
)
def test_bad_optional_headers_rejected(name: str, value: str) -> None:
    rejects(name, (name, value))


def test_numbers() -> None:
    m = request(
        ("Max-Forwards", "70"),
        ("Expires", "3600"),
        ("Content-Type", "application/sdp"),
        body=b"v=0\r\n",
    )
    assert (m.max_forwards, m.expires, m.content_length, m.content_type) == (
        70,
        3600,
        5,
        "application/sdp",
    )
    m = request(("Max-Forwards", "0"), ("Max-Forwards", "0"))
    assert m.max_forwards == 0  # same value twice is tolerated


def test_duplicate_single_valued_headers_with_different_values() -> None:
    rejects("Call-ID", ("i", "other"))
    rejects("From", ("f", "<sip:x@y>;tag=2"))
    rejects("Max-Forwards", ("Max-Forwards", "70"), ("Max-Forwards", "69"))


def test_compact_forms_and_case_insensitive_names() -> None:
    text = (
        b"MESSAGE sip:bob@example.com SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        b"t: <sip:bob@example.com>\r\nf: <sip:alice@example.com>;tag=9\r\ni: cid\r\n"
        b"CSEQ: 2 MESSAGE\r\nm: <sip:alice@h>\r\nc: text/plain\r\nk: path, gruu\r\n"
        b"o: presence;id=7\r\nr: <sip:carol@example.com>\r\nb: <sip:alice@example.com>\r\n"
        b"s: hello\r\ne: gzip\r\nu: presence\r\nx: 1800\r\na: *;audio\r\nj: *;video\r\nd: proxy\r\n"
        b"y: abc\r\nn: <https://example.com/cert>\r\nl: 2\r\n\r\nhi"
    )
    m = sip.parse(text)
    assert m.call_id == "cid" and m.header("CALL-id") == "cid" and m.header("i") == "cid"
    assert m.to.uri.user == "bob" and m.from_.tag == "9" and m.contact[0].uri.user == "alice"
    assert m.content_type == "text/plain" and m.supported == ["path", "gruu"]
    assert m.event.package == "presence" and m.event.id == "7"
    assert m.refer_to.uri.user == "carol" and m.referred_by.uri.user == "alice"
    for compact, full, value in [
        ("s", "Subject", "hello"),
        ("e", "Content-Encoding", "gzip"),
        ("u", "Allow-Events", "presence"),
        ("x", "Session-Expires", "1800"),
        ("a", "Accept-Contact", "*;audio"),
        ("j", "Reject-Contact", "*;video"),
        ("d", "Request-Disposition", "proxy"),
        ("y", "Identity", "abc"),
        ("n", "Identity-Info", "<https://example.com/cert>"),
        ("l", "Content-Length", "2"),
    ]:
        assert m.header(full) == m.header(compact) == value
    assert m.body == b"hi"


def test_headers_keep_order_names_as_written_and_fold_collapsed() -> None:
    text = (
        b"OPTIONS sip:a@b SIP/2.0\r\nvIa: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        b"X-Folded: one\r\n  two\r\n\tthree\r\n"
        b"To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"
    )
    m = sip.parse(text)
    assert [n for n, _ in m.headers] == ["vIa", "X-Folded", "To", "From", "Call-ID", "CSeq"]
    assert m.header("x-folded").split() == ["one", "two", "three"]
    assert "\r" not in m.header("x-folded") and "\n" not in m.header("x-folded")


def test_lists_split_outside_quotes_and_brackets_only() -> None:
    m = request(
        ("Contact", '"Doe, John" <sip:j,k@h;a=b>, <sip:k@h>'),
        ("Date", "Sat, 13 Nov 2010 23:29:00 GMT"),
        ("Authorization", 'Digest username="a,b", realm="r"'),
        ("X-Unknown", "a, b"),
        ("Allow", "INVITE,ACK , BYE"),
    )
    assert m.header_values("Contact") == ['"Doe, John" <sip:j,k@h;a=b>', "<sip:k@h>"]
    assert m.header_values("Date") == ["Sat, 13 Nov 2010 23:29:00 GMT"]
    assert m.header_values("Authorization") == ['Digest username="a,b", realm="r"']
    assert m.header_values("X-Unknown") == ["a, b"]
    assert m.allow == ["INVITE", "ACK", "BYE"]
    assert m.contact[0].display_name == "Doe, John"


def test_authorization_and_challenges() -> None:
    m = request(
        (
            "Authorization",
            'Digest username="bob", realm="biloxi.com", nonce="dcd98b", uri="sip:bob@biloxi.com", '
            'response="6629fae4", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001, '
            'opaque="5ccc069c"',
        ),
        ("Proxy-Authorization", "Basic QWxhZGRpbjpvcGVu"),
        (
            "WWW-Authenticate",
            'Digest realm="atlanta.com", qop="auth,auth-int", nonce="84a4cc6f", stale=FALSE, '
            'Basic realm="x"',
        ),
        ("Proxy-Authenticate", 'Digest realm="a\\"b", nonce="n"'),
    )
    (a,) = m.authorization
    assert a.scheme == "Digest" and a.params["username"] == "bob" and a.params["qop"] == "auth"
    assert (
        a.params["nc"] == "00000001"
        and a.params["uri"] == "sip:bob@biloxi.com"
        and len(a.params) == 10
    )
    (b,) = m.proxy_authorization
    assert b.scheme == "Basic" and b.token68 == "QWxhZGRpbjpvcGVu" and b.params == {}
    d, basic = m.www_authenticate
    assert d.params == {
        "realm": "atlanta.com",
        "qop": "auth,auth-int",
        "nonce": "84a4cc6f",
        "stale": "FALSE",
    }
    assert basic.scheme == "Basic" and basic.params == {"realm": "x"}
    assert m.proxy_authenticate[0].params["realm"] == 'a"b'
    assert sip.Credentials is sip.Challenge


def test_bad_authorization_raises_on_access() -> None:
    m = request(("Authorization", 'Digest realm="unterminated'))
    with pytest.raises(SipParseError) as info:
        m.authorization  # noqa: B018 - parsed lazily
    assert info.value.field == "Authorization"


def test_refer_replaces_event_subscription_state_reason() -> None:
    m = request(
        ("Refer-To", "<sip:carol@example.com?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>"),
        ("Referred-By", "Alice <sip:alice@example.com>"),
        ("Replaces", "425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only"),
        ("Event", "presence.winfo;id=42;x=y"),
        ("Subscription-State", "terminated;reason=timeout;retry-after=30;expires=0"),
        ("Reason", 'SIP;cause=200;text="Call completed elsewhere", Q.850;cause=16'),
        ("Allow", "INVITE, BYE"),
        ("Supported", "replaces"),
        ("Require", "100rel"),
        ("User-Agent", "siperb/0.1 (test)"),
    )
    assert m.refer_to.uri.headers == {"Replaces": "abc@h;to-tag=1;from-tag=2"}
    assert m.referred_by.display_name == "Alice"
    r = m.replaces
    assert (r.call_id, r.to_tag, r.from_tag, r.early_only) == (
        "425928@bobster.example.org",
        "7743",
        "6472",
        True,
    )
    e = m.event
    assert (e.package, e.id, e.params["x"]) == ("presence.winfo", "42", "y")
    s = m.subscription_state
    assert (s.state, s.reason, s.retry_after, s.expires) == ("terminated", "timeout", 30, 0)
    r1, r2 = m.reason_header
    assert (r1.protocol, r1.cause, r1.text) == ("SIP", 200, "Call completed elsewhere")
    assert (r2.protocol, r2.cause, r2.text) == ("Q.850", 16, None)
    assert (m.allow, m.supported, m.require, m.user_agent) == (
        ["INVITE", "BYE"],
        ["replaces"],
        ["100rel"],
        "siperb/0.1 (test)",
    )


def test_absent_optional_headers() -> None:
    m = request()
    assert (
        m.refer_to is None
        and m.replaces is None
        and m.event is None
        and m.subscription_state is None
    )
    assert (
        m.authorization == [] and m.allow == [] and m.reason_header == [] and m.user_agent is None
    )
    assert m.max_forwards is None and m.expires is None and m.content_type is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Replaces", "abc;to-tag=1"),
        ("Event", ";id=1"),
        ("Subscription-State", "active;expires=soon"),
        ("Reason", "SIP;cause=abc"),
        ("Allow", "INVITE, B Y E"),
        ("Refer-To", "<sip:carol@example.com"),
    ],
)
def test_lazy_headers_raise_on_access(name: str, value: str) -> None:
    m = request((name, value))
    attr = {
        "Allow": "allow",
        "Refer-To": "refer_to",
        "Reason": "reason_header",
        "Event": "event",
        "Subscription-State": "subscription_state",
        "Replaces": "replaces",
    }[name]
    with pytest.raises(SipParseError) as info:
        getattr(m, attr)
    assert info.value.field == name


@pytest.mark.parametrize(
    "start",
    [
        b"INVITE sip:bob@example.com SIP/3.0",
        b"INVITE  sip:bob@example.com SIP/2.0",
        b"INVITE sip:bob@example.com SIP/2.0 ",
        b"INVITE <sip:bob@example.com> SIP/2.0",
        b"INVITE sip:bob@example.com",
        b"INV\x01TE sip:bob@example.com SIP/2.0",
        b"SIP/2.0 99 Too Low",
        b"SIP/2.0 700 Too High",
        b"SIP/2.0 2000 OK",
        b"SIP/2.0 abc OK",
    ],
)
def test_bad_start_lines(start: bytes) -> None:
    rest = b"\r\n" + b"".join(f"{n}: {v}\r\n".encode() for n, v in BASE) + b"\r\n"
    with pytest.raises(SipParseError) as info:
        sip.parse(start + rest)
    assert info.value.field in ("start-line", "Request-URI", "CSeq")


def test_responses_and_unknown_methods() -> None:
    rest = b"".join(f"{n}: {v}\r\n".encode() for n, v in BASE) + b"\r\n"
    m = sip.parse(b"SIP/2.0 180 Ringing\r\n" + rest)
    assert (m.is_request, m.status, m.reason, m.method, m.uri, m.version) == (
        False,
        180,
        "Ringing",
        None,
        None,
        "SIP/2.0",
    )
    m = sip.parse(
        b"PUBLISH sip:bob@example.com SIP/2.0\r\n" + rest.replace(b"1 INVITE", b"1 PUBLISH")
    )
    assert m.is_request and m.method == "PUBLISH" and m.status is None and m.reason is None


def test_mandatory_headers() -> None:
    for missing in ("Via", "To", "From", "Call-ID", "CSeq"):
        text = (
            "OPTIONS sip:a@b SIP/2.0\r\n"
            + "".join(f"{n}: {v}\r\n" for n, v in BASE if n != missing).replace("INVITE", "OPTIONS")
            + "\r\n"
        )
        with pytest.raises(SipParseError) as info:
            sip.parse(text.encode())
        assert info.value.field == missing and "missing" in info.value.reason


def test_datagram_framing() -> None:
    head = "OPTIONS sip:a@b SIP/2.0\r\n" + "".join(f"{n}: {v}\r\n" for n, v in BASE).replace(
        "INVITE", "OPTIONS"
    )
    assert sip.parse((head + "Content-Length: 2\r\n\r\nhiEXTRA").encode()).body == b"hi"
    assert sip.parse((head + "\r\nall of it").encode()).body == b"all of it"
    assert sip.parse(("\r\n\r\n" + head + "\r\n").encode()).method == "OPTIONS"  # leading CRLFs
    with pytest.raises(SipParseError) as info:
        sip.parse((head + "Content-Length: 3\r\n\r\nhi").encode())
    assert info.value.field == "Content-Length"
    with pytest.raises(SipParseError):
        sip.parse(head.encode())  # no empty line
    with pytest.raises(SipParseError):
        sip.parse(b"")
    with pytest.raises(SipParseError):
        sip.parse((head + "Bad Header: x\r\n\r\n").encode())
    with pytest.raises(SipParseError):
        sip.parse((head + "NoColon\r\n\r\n").encode())


def test_non_utf8_header_octets_do_not_raise_unicode_errors() -> None:
    m = request(("X-Bin", "caf\xe9"))
    assert m.header("X-Bin") == "café"  # valid UTF-8 passes through
    raw = bytes(m).replace("café".encode(), b"caf\xe9")
    m2 = sip.parse(raw)
    assert m2.header("X-Bin") == "caf\udce9"  # surrogateescape, like os.fsdecode


@pytest.mark.parametrize("bad", [b"X-A: one\ntwo\r\n", b"X-A: one\rtwo\r\n", b"X-A: one\n"])
def test_bare_cr_or_lf_in_header_section_rejected(bad: bytes) -> None:
    head = b"".join(f"{n}: {v}\r\n".encode() for n, v in BASE)
    with pytest.raises(SipParseError) as info:
        sip.parse(b"INVITE sip:bob@example.com SIP/2.0\r\n" + head + bad + b"\r\n")
    assert "bare" in info.value.reason
