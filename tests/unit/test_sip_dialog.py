"""RFC 3261 section 12 dialogs: identity and tags, route sets (loose and strict routing),
remote target refresh and the CSeq rules of siperb.sip.dialog.Dialog."""

from __future__ import annotations

from siperb import sip
from siperb.sip.dialog import Dialog, _without_tag, new_tag

VIA = "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKtest1;rport"


def invite(record_route: list[str] | None = None, uri: str = "sip:bob@b.test") -> sip.Message:
    headers = [
        ("Via", VIA),
        ("Max-Forwards", "70"),
        ("From", '"Alice" <sip:alice@a.test>;tag=atag'),
        ("To", "<sip:bob@b.test>"),
        ("Call-ID", "call-1@a.test"),
        ("CSeq", "7 INVITE"),
        ("Contact", "<sip:alice@10.0.0.1:5070>"),
    ]
    headers += [("Record-Route", r) for r in record_route or []]
    return sip.Request("INVITE", uri, headers)


def answer(request: sip.Message, status: int = 200, record_route: list[str] | None = None,
           contact: str = "<sip:bob@10.0.0.2:5080;transport=tcp>") -> sip.Message:  # fmt: skip
    headers = [
        ("Via", VIA),
        ("From", request.header("From") or ""),
        ("To", "<sip:bob@b.test>;tag=btag"),
        ("Call-ID", request.call_id or ""),
        ("CSeq", "7 INVITE"),
        ("Contact", contact),
    ]
    headers += [("Record-Route", r) for r in record_route or []]
    return sip.Response(status, "OK" if status == 200 else "Ringing", headers)


def in_dialog(method: str, cseq: int, contact: str | None = None) -> sip.Message:
    headers = [
        ("Via", VIA),
        ("From", "<sip:bob@b.test>;tag=btag"),
        ("To", '"Alice" <sip:alice@a.test>;tag=atag'),
        ("Call-ID", "call-1@a.test"),
        ("CSeq", f"{cseq} {method}"),
    ]
    if contact:
        headers.append(("Contact", contact))
    return sip.Request(method, "sip:alice@10.0.0.1:5070", headers)


RR = ["<sip:p1.test;lr>", "<sip:p2.test;lr>"]


def test_uac_dialog_identity_route_set_and_target() -> None:
    req = invite()
    d = Dialog.as_uac(req, answer(req, record_route=RR))
    assert d.id == ("call-1@a.test", "atag", "btag")
    assert d.local_uri == '"Alice" <sip:alice@a.test>' and d.remote_uri == "<sip:bob@b.test>"
    assert d.remote_target == "sip:bob@10.0.0.2:5080;transport=tcp"
    # 12.1.2: the UAC's route set is the Record-Route of the response, reversed.
    assert d.route_set == list(reversed(RR))
    assert d.local_seq == 7 and d.remote_seq is None and not d.early and not d.secure


def test_uas_dialog_keeps_record_route_order_and_remote_cseq() -> None:
    req = invite(record_route=RR)
    d = Dialog.as_uas(req, "mytag")
    assert d.id == ("call-1@a.test", "mytag", "atag")
    assert d.local_uri == "<sip:bob@b.test>" and d.remote_uri == '"Alice" <sip:alice@a.test>'
    assert d.route_set == RR  # 12.1.1: in the order of the request
    assert d.remote_target == "sip:alice@10.0.0.1:5070"
    assert d.remote_seq == 7
    assert 0 <= d.local_seq < 2**31


def test_a_dialog_needs_the_remote_tag() -> None:
    req = invite()
    untagged = sip.Response(200, "OK", [("Via", VIA), ("From", req.header("From") or ""),
                                        ("To", "<sip:bob@b.test>"), ("Call-ID", "c"),
                                        ("CSeq", "7 INVITE")])  # fmt: skip
    try:
        Dialog.as_uac(req, untagged)
    except ValueError:
        pass
    else:
        raise AssertionError("a response without a To tag must not create a dialog")


def test_early_dialog_is_confirmed_by_2xx_with_its_route_set_and_contact() -> None:
    req = invite()
    d = Dialog.as_uac(req, answer(req, 180, record_route=["<sip:early.test;lr>"],
                                  contact="<sip:bob@early.test>"))  # fmt: skip
    assert d.early and d.route_set == ["<sip:early.test;lr>"]
    d.confirm(answer(req, 200, record_route=RR))
    assert not d.early
    assert d.route_set == list(reversed(RR))
    assert d.remote_target == "sip:bob@10.0.0.2:5080;transport=tcp"


def test_loose_routing_keeps_the_remote_target_as_request_uri() -> None:
    req = invite()
    d = Dialog.as_uac(req, answer(req, record_route=RR))
    bye = d.request("BYE", VIA)
    assert str(bye.uri) == "sip:bob@10.0.0.2:5080;transport=tcp"
    assert bye.header_values("Route") == ["<sip:p2.test;lr>", "<sip:p1.test;lr>"]
    assert bye.cseq is not None and (bye.cseq.number, bye.cseq.method) == (8, "BYE")
    assert bye.to is not None and bye.to.tag == "btag"
    assert bye.from_ is not None and bye.from_.tag == "atag"
    assert bye.call_id == "call-1@a.test"
    assert bye.header("Contact") is None  # BYE is no target refresh


def test_strict_routing_puts_the_first_route_in_the_request_uri() -> None:
    req = invite()
    strict = ["<sip:loose.test;lr>", "<sip:strict.test>"]  # reversed: strict.test comes first
    d = Dialog.as_uac(req, answer(req, record_route=strict))
    info = d.request("INFO", VIA)
    # 12.2.1.1: Request-URI = first route (params kept), Route = the rest + the remote target.
    assert str(info.uri) == "sip:strict.test"
    assert info.header_values("Route") == [
        "<sip:loose.test;lr>", "<sip:bob@10.0.0.2:5080;transport=tcp>"]  # fmt: skip


def test_no_route_set_means_no_route_header() -> None:
    req = invite()
    d = Dialog.as_uac(req, answer(req))
    assert d.request("BYE", VIA).header_values("Route") == []


def test_cseq_rules_for_requests_we_send() -> None:
    req = invite()
    d = Dialog.as_uac(req, answer(req))
    first = d.request("INFO", VIA)
    second = d.request("UPDATE", VIA, contact="<sip:alice@10.0.0.9>")
    assert first.cseq is not None and second.cseq is not None
    assert (first.cseq.number, second.cseq.number) == (8, 9)
    # ACK and CANCEL reuse the number they refer to; an explicit number does not advance it.
    ack = d.request("ACK", VIA, cseq=7)
    assert ack.cseq is not None and ack.cseq.number == 7 and d.local_seq == 9
    assert d.request("ACK", VIA).cseq is not None and d.local_seq == 9
    assert second.header("Contact") == "<sip:alice@10.0.0.9>"  # UPDATE refreshes the target


def test_cseq_rules_for_requests_we_receive() -> None:
    req = invite(record_route=RR)
    d = Dialog.as_uas(req, "mytag")  # remote_seq = 7
    assert d.accept_request(in_dialog("INFO", 8)) is None and d.remote_seq == 8
    # 12.2.2: lower than the remote sequence number: out of order, 500, and nothing changes.
    assert d.accept_request(in_dialog("INFO", 5)) == 500
    assert d.remote_seq == 8
    assert d.accept_request(in_dialog("BYE", 20)) is None and d.remote_seq == 20  # gaps are fine
    # ACK carries the INVITE's number and is not checked against it.
    assert d.accept_request(in_dialog("ACK", 7)) is None and d.remote_seq == 20


def test_first_request_from_the_remote_side_sets_the_remote_sequence() -> None:
    req = invite()
    d = Dialog.as_uac(req, answer(req))
    assert d.remote_seq is None
    assert d.accept_request(in_dialog("NOTIFY", 4000)) is None
    assert d.remote_seq == 4000


def test_target_refresh_only_by_target_refresh_requests() -> None:
    req = invite()
    d = Dialog.as_uac(req, answer(req))
    d.accept_request(in_dialog("INFO", 1, contact="<sip:bob@elsewhere.test>"))
    assert d.remote_target == "sip:bob@10.0.0.2:5080;transport=tcp"  # INFO: no refresh
    d.accept_request(in_dialog("INVITE", 2, contact="<sip:bob@moved.test:5090>"))
    assert d.remote_target == "sip:bob@moved.test:5090"  # re-INVITE: refresh
    d.accept_request(in_dialog("UPDATE", 3))  # no Contact: the target stays
    assert d.remote_target == "sip:bob@moved.test:5090"
    assert str(d.request("BYE", VIA).uri) == "sip:bob@moved.test:5090"


def test_sips_request_uri_makes_a_secure_dialog() -> None:
    req = invite(uri="sips:bob@b.test")
    assert Dialog.as_uac(req, answer(req)).secure
    assert Dialog.as_uas(req, "t").secure


def test_tags_are_random_and_tag_parameters_are_removed() -> None:
    assert len({new_tag() for _ in range(50)}) == 50
    assert _without_tag('"A" <sip:a@x;transport=tcp>;tag=1;foo=bar') == (
        '"A" <sip:a@x;transport=tcp>;foo=bar')  # fmt: skip
    assert _without_tag("sip:a@x;tag=9") == "sip:a@x"
    assert _without_tag("<sip:a@x>;TAG=9") == "<sip:a@x>"
