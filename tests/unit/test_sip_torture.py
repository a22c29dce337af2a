"""RFC 4475 and RFC 5118 torture messages: valid ones parse with the right meaning, invalid
ones raise SipParseError naming the field (expectations in tests/data/sip/MANIFEST.txt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from siperb import sip
from siperb.errors import SipParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "sip"


def manifest() -> list[tuple[str, str, str]]:
    rows = []
    for line in (DATA / "MANIFEST.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        path, section, kind = line.split()
        rows.append((path, section, kind))
    return rows


ROWS = manifest()


def load(path: str) -> bytes:
    return (DATA / path).read_bytes()


def test_manifest_covers_every_file() -> None:
    listed = {p for p, _, _ in ROWS}
    on_disk = {str(p.relative_to(DATA)) for p in DATA.glob("rfc*/*.dat")}
    assert listed == on_disk
    assert len([r for r in ROWS if r[0].startswith("rfc4475/")]) == 49


# The field each invalid message must be rejected on: the reason is the header at fault.
REJECT_FIELD = {
    "badinv01": "Via",
    "clerr": "Content-Length",
    "ncl": "Content-Length",
    "scalar02": "CSeq",
    "scalarlg": "CSeq",
    "quotbal": "To",
    "ltgtruri": "Request-URI",
    "lwsruri": "start-line",
    "lwsstart": "start-line",
    "trws": "start-line",
    "escruri": "Request-URI",
    "baddate": "Date",
    "regbadct": "Contact",
    "badaspec": "To",
    "baddn": "From",
    "badvers": "start-line",
    "mismatch01": "CSeq",
    "mismatch02": "CSeq",
    "bigcode": "start-line",
    "insuf": "To",
    "multi01": "CSeq",
    "mcl01": "Content-Length",
    "ipv6-bad": "Request-URI",
}


# Invalid only in a header sip.parse defers: the attribute whose first read raises.
REJECT_ON_READ = {"regbadct": "contact"}


@pytest.mark.parametrize(
    "path", [p for p, _, k in ROWS if k in ("invalid", "semantic-reject")], ids=lambda p: p
)
def test_invalid_messages_are_rejected(path: str) -> None:
    stem = Path(path).stem
    with pytest.raises(SipParseError) as info:
        m = sip.parse(load(path))
        # Deferred headers (Contact) parse when first read: the message is refused there.
        assert stem in REJECT_ON_READ, "parsed"
        getattr(m, REJECT_ON_READ[stem])
    assert info.value.field == REJECT_FIELD[stem]
    assert info.value.reason


def _wsinv(m: sip.Message) -> None:
    assert m.method == "INVITE"
    assert m.uri.host == "chair-dnrc.example.com" and "unknownparam" in m.uri.params
    assert m.to.tag == "1918181833n" and not m.to.display_name
    assert m.from_.display_name == 'J Rosenberg \\"' and m.from_.tag == "98asjd8"
    assert m.max_forwards == 68
    assert (m.cseq.number, m.cseq.method) == (9, "INVITE")
    assert [(v.transport, v.host, v.branch) for v in m.via] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert m.header("Subject") == "" and m.header("s") == ""
    assert m.header("newfangledheader").split() == [
        "newfangled",
        "value",
        "continued",
        "newfangled",
        "value",
    ]
    assert m.header("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    (c,) = m.contact
    assert c.display_name == 'Quoted string ""' and c.q == 0.33
    assert c.params == {"newparam": "newvalue", "secondparam": None, "q": "0.33"}
    (r,) = m.route
    assert r.uri.host == "services.example.com" and r.uri.params["unknownwith"] == "value"
    assert len(m.body) == 150 and m.content_type == "application/sdp"


def _intmeth(m: sip.Message) -> None:
    meth = "!interesting-Method0123456789_*+`.%indeed'~"
    assert m.method == meth and m.cseq.method == meth and m.cseq.number == 139122385
    assert m.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert m.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert m.uri.host == "example.com"
    assert m.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert m.to.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert m.from_.display_name == "token1~` token2'+_ token3*%!.-"
    assert m.from_.tag == "_token~1'+`*%!-."
    assert m.from_.params["fromparam''~+*_!.-%"] == "работающий"
    assert m.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert m.via[0].branch == "z9hG4bK-.!%66*_+`'~"
    assert m.max_forwards == 255
    assert m.header("extensionHeader-!.%*+_`'~") == "\ufeff大停電"


def _esc01(m: sip.Message) -> None:
    assert m.uri.user == "sips:user@example.com" and m.uri.host == "example.net"
    assert m.uri.raw == "sip:sips%3Auser%40example.com@example.net"
    assert m.to.uri.user == "user"
    assert m.from_.uri.user == "I have spaces"
    (c,) = m.contact
    assert c.uri.user == "caller"
    # Decoded exactly once: %25%34%31 is "%41", not "A".
    assert c.uri.params == {"lr": None, "name": "value%41"}
    assert m.content_type == "application/sdp"


def _escnull(m: sip.Message) -> None:
    assert m.to.uri.user == "null-\x00-null"
    assert [c.uri.user for c in m.contact] == ["\x00", "\x00\x00"]
    assert m.content_length == 0


def _esc02(m: sip.Message) -> None:
    assert m.method == "RE%47IST%45R" != "REGISTER"
    assert m.to.display_name == "%Z%45"
    assert m.via[0].branch == "z9hG4bK209%fzsnel234"
    assert [c.uri.user for c in m.contact] == ["alias1", "alias3"]
    assert m.header("C%6Fntact") == "<sip:alias2@host2.example.com>"


def _lwsdisp(m: sip.Message) -> None:
    assert (
        m.from_.display_name == "caller" and m.from_.uri.user == "caller" and m.from_.tag == "323"
    )


def _longreq(m: sip.Message) -> None:
    assert len(m.via) == 34
    assert m.via[0].host == "sip33.example.com" and m.via[-1].host == "host.example.com"
    assert m.via[-1].received == "192.0.2.5" and m.via[-1].branch.startswith("verylonglong")
    assert m.to.display_name.startswith("I have a user name of extremeextreme")
    assert m.to.uri.port == 6000
    assert m.from_.tag == "12" + "982" * 50 + "424"
    assert len(m.body) == 150


def _dblreq(m: sip.Message) -> None:
    assert m.method == "REGISTER" and m.body == b"" and m.content_length == 0
    assert m.call_id == "dblreq.0ha0isndaksdj99sdfafnl3lk233412"
    assert bytes(m).endswith(b"Content-Length: 0\r\n\r\n")


def _semiuri(m: sip.Message) -> None:
    assert m.uri.user == "user;par=u@example.net" and m.uri.host == "example.com"
    assert m.uri.params == {}
    assert len(m.header_values("Accept")) == 6


def _transports(m: sip.Message) -> None:
    assert [v.transport for v in m.via] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]


def _mpart01(m: sip.Message) -> None:
    assert len(m.body) == 553 and m.content_length == 553
    assert m.content_type == "multipart/mixed;boundary=7a9cbec02ceef655"
    assert b"\x00" in m.body and m.body.endswith(b"--7a9cbec02ceef655--\r\n")
    assert m.via[0].rport is True
    assert m.user_agent == "SIPimp.org/0.2.5 (curses)"


def _unreason(m: sip.Message) -> None:
    assert m.status == 200
    assert m.reason == "= 2**3 * 5**2 но сто девяносто девять - простое"


def _noreason(m: sip.Message) -> None:
    assert m.status == 100 and m.reason == ""


def _inv2543(m: sip.Message) -> None:
    assert m.via[0].branch is None and m.max_forwards is None
    # RFC 3261 20.10: without <>, ";user=phone" belongs to the header, not to the URI.
    assert m.to.params == {"user": "phone"} and m.to.uri.params == {}
    assert m.to.uri.user == "+16505552222"
    assert m.from_.uri.params == {"user": "phone"}
    assert m.content_length is None and m.body.endswith(b"m=audio 49217 RTP/AVP 0\r\n")
    assert m.record_route[0].uri.params["maddr"] == "ss1.example.com"


def _badbranch(m: sip.Message) -> None:
    assert m.via[0].branch == "z9hG4bK"


def _unkscm(m: sip.Message) -> None:
    assert m.uri.scheme == "nobodyknowsthisscheme" and m.uri.opaque == "totallyopaquecontent"
    assert m.uri.host is None


def _novelsc(m: sip.Message) -> None:
    assert m.uri.scheme == "soap.beep" and m.uri.opaque == "//192.0.2.103:3002"


def _unksm2(m: sip.Message) -> None:
    assert str(m.to.uri) == "isbn:2983792873" and m.to.uri.scheme == "isbn"
    assert str(m.from_.uri) == "http://www.example.com" and m.from_.tag == "3234233"
    assert str(m.contact[0].uri) == "name:John_Smith"


def _bext01(m: sip.Message) -> None:
    assert m.require == ["nothingSupportsThis", "nothingSupportsThisEither"]
    assert m.proxy_require == ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]


def _invut(m: sip.Message) -> None:
    assert m.content_type == "application/unknownformat" and len(m.body) == 40


def _regaut01(m: sip.Message) -> None:
    (a,) = m.authorization
    assert a.scheme == "NoOneKnowsThisScheme" and a.params == {"opaque-data": "here"}


def _bcast(m: sip.Message) -> None:
    assert [v.host for v in m.via] == ["192.0.2.198", "255.255.255.255"]


def _zeromf(m: sip.Message) -> None:
    assert m.max_forwards == 0


def _cparam01(m: sip.Message) -> None:
    (c,) = m.contact
    assert c.uri.params == {} and c.params == {"unknownparam": None}


def _cparam02(m: sip.Message) -> None:
    (c,) = m.contact
    assert c.uri.params == {"unknownparam": None} and c.params == {}


def _regescrt(m: sip.Message) -> None:
    (c,) = m.contact
    assert c.uri.headers == {"Route": "<sip:sip.example.com>"}


def _sdp01(m: sip.Message) -> None:
    assert m.header("Accept") == "text/nobodyKnowsThis"


def _ipv6_good(m: sip.Message) -> None:
    assert m.uri.host == "[2001:db8::10]" and m.uri.port is None
    assert m.via[0].host == "[2001:db8::9:1]"
    assert m.contact[0].uri.host == "[2001:db8::1]"


def _port_ambiguous(m: sip.Message) -> None:
    assert m.uri.host == "[2001:db8::10:5070]" and m.uri.port is None


def _port_unambiguous(m: sip.Message) -> None:
    assert m.uri.host == "[2001:db8::10]" and m.uri.port == 5070


def _received_delim(m: sip.Message) -> None:
    assert m.via[0].received == "[2001:db8::9:255]"


def _received_nodelim(m: sip.Message) -> None:
    assert m.via[0].received == "2001:db8::9:255" and m.via[0].branch == "z9hG4bKas3"


def _ipv6_in_sdp(m: sip.Message) -> None:
    assert b"c=IN IP6 2001:db8::20" in m.body and m.to.uri.host == "[2001:db8::10]"


def _mult_ip_header(m: sip.Message) -> None:
    assert [(v.host, v.port) for v in m.via] == [
        ("[2001:db8::9:1]", 6050),
        ("192.0.2.1", None),
        ("[2001:db8::9:255]", None),
    ]
    assert m.via[2].received == "192.0.2.200"


def _mult_ip_sdp(m: sip.Message) -> None:
    assert b"c=IN IP6 2001:db8::1" in m.body and b"c=IN IP4 192.0.2.1" in m.body


def _ipv4_mapped(m: sip.Message) -> None:
    assert m.via[0].host == "[::ffff:192.0.2.10]" and m.via[0].port == 19823
    assert m.contact[0].uri.host == "[::ffff:192.0.2.2]"


def _two_colons(m: sip.Message) -> None:
    assert m.uri.host == "[2001:db8::192.0.2.1]"


def _three_colons(m: sip.Message) -> None:
    # RFC 5118 4.10: tolerated, the host kept as sent.
    assert m.uri.host == "[2001:db8:::192.0.2.1]"
    assert m.to.uri.host == "[2001:db8:::192.0.2.1]"


MEANING = {
    "wsinv": _wsinv,
    "intmeth": _intmeth,
    "esc01": _esc01,
    "escnull": _escnull,
    "esc02": _esc02,
    "lwsdisp": _lwsdisp,
    "longreq": _longreq,
    "dblreq": _dblreq,
    "semiuri": _semiuri,
    "transports": _transports,
    "mpart01": _mpart01,
    "unreason": _unreason,
    "noreason": _noreason,
    "inv2543": _inv2543,
    "badbranch": _badbranch,
    "unkscm": _unkscm,
    "novelsc": _novelsc,
    "unksm2": _unksm2,
    "bext01": _bext01,
    "invut": _invut,
    "regaut01": _regaut01,
    "bcast": _bcast,
    "zeromf": _zeromf,
    "cparam01": _cparam01,
    "cparam02": _cparam02,
    "regescrt": _regescrt,
    "sdp01": _sdp01,
    "ipv6-good": _ipv6_good,
    "port-ambiguous": _port_ambiguous,
    "port-unambiguous": _port_unambiguous,
    "via-received-param-with-delim": _received_delim,
    "via-received-param-no-delim": _received_nodelim,
    "ipv6-in-sdp": _ipv6_in_sdp,
    "mult-ip-in-header": _mult_ip_header,
    "mult-ip-in-sdp": _mult_ip_sdp,
    "ipv4-mapped-ipv6": _ipv4_mapped,
    "ipv6-correct-abnf-2-colons": _two_colons,
    "ipv6-bug-abnf-3-colons": _three_colons,
}


@pytest.mark.parametrize(
    "path", [p for p, _, k in ROWS if k in ("valid", "semantic")], ids=lambda p: p
)
def test_valid_messages_parse_with_meaning(path: str) -> None:
    m = sip.parse(load(path))
    MEANING[Path(path).stem](m)
    # Every cached and lazily parsed accessor works on every valid message.
    for name in (
        "route",
        "record_route",
        "authorization",
        "www_authenticate",
        "allow",
        "supported",
        "require",
        "reason_header",
        "event",
        "subscription_state",
        "refer_to",
        "replaces",
    ):
        getattr(m, name)
    # The message serialises back to bytes that parse to the same headers and body.
    again = sip.parse(bytes(m))
    assert again.headers == m.headers and again.body == m.body


def test_every_valid_message_has_a_meaning_check() -> None:
    assert {Path(p).stem for p, _, k in ROWS if k in ("valid", "semantic")} == set(MEANING)


def test_dblreq_second_message_is_ignored_in_a_datagram_but_framed_on_a_stream() -> None:
    data = load("rfc4475/dblreq.dat")
    assert sip.parse(data).method == "REGISTER"
    msgs = sip.StreamFramer().feed(data)
    assert [x.method for x in msgs] == ["REGISTER", "INVITE"]
    assert len(msgs[1].body) == 150 and b"m =video" in msgs[1].body
