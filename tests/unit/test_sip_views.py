"""The typed headers read on every message (Via, From/To/Contact, CSeq) are light views over the
parsed message (bindings/views.hpp): they must keep the message's octets alive, report bad
values as siperb.errors like every other accessor, and only come out of the parser."""

from __future__ import annotations

import gc

import pytest

from siperb import errors, sip
from siperb._core import CSeq, NameAddr, Via

INVITE = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP a.example.com:5060;branch=z9hG4bK1;rport, SIP/2.0/TCP b.example.com\r\n"
    b"Via: SIP/2.0/UDP c.example.com;branch=z9hG4bK3;received=192.0.2.3\r\n"
    b'From: "Alice" <sip:alice@example.com>;tag=ft\r\n'
    b"To: <sip:bob@example.com>\r\n"
    b"Call-ID: cid@example.com\r\n"
    b"CSeq: 7 INVITE\r\n"
    b"Contact: <sip:alice@192.0.2.1>;expires=soon\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def test_views_outlive_the_message_object() -> None:
    m = sip.parse(bytes(bytearray(INVITE)))  # a fresh buffer, not the constant
    via, from_, cseq, to = m.via, m.from_, m.cseq, m.to
    del m
    gc.collect()
    junk = [bytes(range(256)) * 8 for _ in range(200)]  # reuse freed memory if it were freed
    assert [v.branch for v in via] == ["z9hG4bK1", None, "z9hG4bK3"]
    assert via[0].rport is True and via[2].received == "192.0.2.3"
    assert (from_.display_name, from_.tag, str(from_.uri)) == (
        "Alice",
        "ft",
        "sip:alice@example.com",
    )
    assert to.tag is None and to.uri.user == "bob"
    assert (cseq.number, cseq.method) == (7, "INVITE")
    assert repr(cseq) == "CSeq(7, INVITE)"
    assert repr(via[1]) == "Via(SIP/2.0/TCP b.example.com)"
    del junk


def test_bad_value_read_through_a_view_raises_a_siperb_error() -> None:
    contact = sip.parse(INVITE).contact[0]
    with pytest.raises(errors.SipParseError) as exc:
        _ = contact.expires
    assert exc.value.field == "Contact"


def test_fast_message_attributes_match_the_message() -> None:
    m = sip.parse(INVITE)
    assert (m.is_request, m.method, m.status, m.call_id) == (
        True,
        "INVITE",
        None,
        "cid@example.com",
    )
    r = sip.Response(180, "Ringing", [("Via", "SIP/2.0/UDP h;branch=z9hG4bKx"), ("CSeq", "1 BYE")])
    assert (r.is_request, r.method, r.status, r.from_, r.to, r.call_id, r.contact) == (
        False, None, 180, None, None, None, [])  # fmt: skip
    assert r.cseq is not None and r.cseq.method == "BYE"


@pytest.mark.parametrize("cls", [Via, NameAddr, CSeq])
def test_views_come_only_from_the_parser(cls: type) -> None:
    with pytest.raises(TypeError):
        cls()
    with pytest.raises(TypeError):
        type("Sub", (cls,), {})


def test_message_is_a_light_type_made_only_by_the_parser_and_builders() -> None:
    m = sip.parse(INVITE)
    assert type(m) is sip.Message and isinstance(sip.Request("OPTIONS", "sip:a@b"), sip.Message)
    with pytest.raises(TypeError):
        sip.Message()
    with pytest.raises(TypeError):
        type("Sub", (sip.Message,), {})
    with pytest.raises(TypeError):
        sip.parse(INVITE.decode())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sip.parse(bytearray(INVITE))  # type: ignore[arg-type]
    # Methods still check their instance: called on another object they refuse it.
    with pytest.raises(TypeError):
        sip.Message.header(object(), "Call-ID")  # type: ignore[arg-type]
    assert repr(m) == "<sip.Message INVITE sip:bob@example.com>"
    assert bytes(m.with_header("Max-Forwards", "69")).count(b"Max-Forwards: 69") == 1


def test_parse_errors_still_name_the_header() -> None:
    bad = INVITE.replace(b"Via: SIP/2.0/UDP c.example.com", b"Via: SIP/2.0/UDP c.example.com:99999")
    with pytest.raises(errors.SipParseError) as exc:
        sip.parse(bad)
    assert exc.value.field == "Via"


@pytest.mark.parametrize(
    ("written", "asked", "found"),
    [
        ("Subject", "sUBJECT", True),
        ("sUbJeCt", "Subject", True),
        ("SUBJECT", "s", True),  # compact form
        ("P-Asserted-Identity", "p-asserted-IDENTITY", True),
        ("Subjecu", "Subject", False),  # same length, first and last letters differ by one
        ("Subjec", "Subject", False),
        ("P_Asserted-Identity", "P-Asserted-Identity", False),  # '_' is a token char, not '-'
        ("X-Call-ID", "Call-ID", False),
    ],
)
def test_header_names_match_in_any_case_and_only_exactly(
    written: str, asked: str, found: bool
) -> None:
    m = sip.parse(INVITE.replace(b"Content-Length", f"{written}: v\r\nContent-Length".encode()))
    assert (m.header(asked) == "v") is found
    assert m.header("Call\rID") is None and m.header("Call_ID") is None
    assert m.header("cALL-iD") == m.header("i") == "cid@example.com"


def test_a_misspelt_mandatory_header_is_missing() -> None:
    with pytest.raises(errors.SipParseError) as exc:
        sip.parse(INVITE.replace(b"Call-ID:", b"Call_ID:"))
    assert exc.value.field == "Call-ID"
