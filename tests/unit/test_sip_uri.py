"""URI grammar (RFC 3261 19.1, RFC 3966) and comparison (RFC 3261 19.1.4)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siperb import sip
from siperb.errors import SipParseError


def test_sip_uri_parts() -> None:
    u = sip.Uri.parse(
        "sip:alice:secret@example.com:5061;transport=tcp;lr?subject=hi&priority=urgent"
    )
    assert (u.scheme, u.user, u.password, u.host, u.port) == (
        "sip",
        "alice",
        "secret",
        "example.com",
        5061,
    )
    assert u.params == {"transport": "tcp", "lr": None}
    assert u.headers == {"subject": "hi", "priority": "urgent"}
    assert u.param("TRANSPORT") == "tcp" and u.param("maddr") is None
    assert (
        str(u)
        == u.raw
        == "sip:alice:secret@example.com:5061;transport=tcp;lr?subject=hi&priority=urgent"
    )


def test_hosts_ipv4_ipv6_and_names() -> None:
    assert sip.Uri.parse("sip:192.0.2.1:5060").host == "192.0.2.1"
    u = sip.Uri.parse("sips:[2001:db8::1]:5061")
    assert (u.scheme, u.host, u.port, u.user) == ("sips", "[2001:db8::1]", 5061, None)
    assert sip.Uri.parse("sip:[::ffff:192.0.2.1]").host == "[::ffff:192.0.2.1]"
    # RFC 5118 4.10: the three colons RFC 3261's ABNF allowed before an embedded IPv4 part.
    for host in ("[2001:db8:::192.0.2.1]", "[:::192.0.2.1]", "[1:2:3:4:5:::192.0.2.1]"):
        assert sip.Uri.parse(f"sip:alice@{host}:5060").host == host
    via = sip.parse(
        b"OPTIONS sip:a@b SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP [2001:db8:::192.0.2.1]:5070;branch=z9hG4bK1\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"
    ).via[0]
    assert (via.host, via.port) == ("[2001:db8:::192.0.2.1]", 5070)


def test_tel_and_opaque_schemes() -> None:
    t = sip.Uri.parse("tel:+1-201-555-0123;phone-context=example.com")
    assert (t.scheme, t.user, t.host, t.params) == (
        "tel",
        "+1-201-555-0123",
        None,
        {"phone-context": "example.com"},
    )
    o = sip.Uri.parse("urn:service:sos")
    assert (o.scheme, o.opaque, o.host) == ("urn", "service:sos", None)


def test_escapes_decoded_exactly_once_and_raw_kept() -> None:
    u = sip.Uri.parse("sip:%61lice%2540@example.com;n%61me=v%25%34%31")
    assert u.user == "alice%40"
    assert u.params == {"name": "v%41"}
    assert u.raw == "sip:%61lice%2540@example.com;n%61me=v%25%34%31"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sip:",
        "example.com",
        "sip:user@",
        "sip:@example.com",
        "sip:alice@exa mple.com",
        "sip:alice@example.com:99999",
        "sip:alice@example.com:5x",
        "sip:alice@[2001:db8:::1]",  # three colons are tolerated only before an IPv4 part
        "sip:alice@[2001:db8::::192.0.2.1]",
        "sip:alice@[2001::db8:::192.0.2.1]",
        "sip:alice@[1:2:3:4:5:6:::192.0.2.1]",
        "sip:alice@[2001:db8:::192.0.2]",
        "sip:alice@[2001:db8::1",
        "sip:alice@example.com;;lr",
        "sip:alice@example.com?",
        "<sip:alice@example.com>",
        "tel:",
        "tel:12a?",
        "sip:al\x00ice@example.com",
    ],
)
def test_malformed_uris_raise(text: str) -> None:
    with pytest.raises(SipParseError) as info:
        sip.Uri.parse(text)
    assert info.value.field == "URI"


# RFC 3261 19.1.4: equivalent URIs.
EQUAL = [
    ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
    ("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"),
    (
        "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
        "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
    ),
    (
        "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
        "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
    ),
    ("tel:+1-201-555-0123", "tel:+12015550123"),
]
# RFC 3261 19.1.4: non-equivalent URIs.
NOT_EQUAL = [
    ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
    ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
    ("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"),
    ("sip:alice@example.com", "sips:alice@example.com"),
    ("sip:alice:pw@example.com", "sip:alice@example.com"),
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_equal_uris(a: str, b: str) -> None:
    ua, ub = sip.Uri.parse(a), sip.Uri.parse(b)
    assert ua == ub and ub == ua and ua.equals(ub)
    assert hash(ua) == hash(ub)


@pytest.mark.parametrize(("a", "b"), NOT_EQUAL)
def test_unequal_uris(a: str, b: str) -> None:
    ua, ub = sip.Uri.parse(a), sip.Uri.parse(b)
    assert ua != ub and ub != ua and not ua.equals(ub)


def test_uri_compared_with_other_types_is_not_equal() -> None:
    assert sip.Uri.parse("sip:a@b") != "sip:a@b"


def test_uri_outlives_its_message() -> None:
    m = sip.parse(
        b"OPTIONS sip:bob@example.com;transport=udp SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        b"To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\nCall-ID: c\r\n"
        b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    u = m.uri
    f = m.from_
    del m
    assert u.param("transport") == "udp" and f.uri.user == "alice" and f.tag == "1"


_unreserved = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()"


def _escape(text: str, keep: str) -> str:
    return "".join(c if c in keep else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


@settings(max_examples=300, deadline=None)
@given(
    user=st.none() | st.text(min_size=1, max_size=12),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,8}(\.[a-z][a-z0-9-]{0,8}){0,2}", fullmatch=True),
    port=st.none() | st.integers(min_value=0, max_value=65535),
    params=st.dictionaries(
        st.text(alphabet="abcdefghijklmnop", min_size=1, max_size=6),
        st.none() | st.text(min_size=1, max_size=8),
        max_size=4,
    ),
)
def test_uri_round_trip(user, host, port, params) -> None:  # type: ignore[no-untyped-def]
    text = "sip:"
    if user is not None:
        text += _escape(user, _unreserved + "&=+$,;?/") + "@"
    text += host + (f":{port}" if port is not None else "")
    for k, v in params.items():
        text += ";" + k + ("" if v is None else "=" + _escape(v, _unreserved))
    u = sip.Uri.parse(text)
    assert (u.user, u.host, u.port, u.params) == (user, host, port, params)
    assert str(u) == text
    upper = sip.Uri.parse(text.replace(host, host.upper(), 1)) if user is None else u
    assert upper == u and hash(upper) == hash(u)
