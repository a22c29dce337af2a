"""Deferred headers: ``sip.parse`` validates what every transaction needs (Via, From, To,
Call-ID, CSeq, Max-Forwards, Content-Length); Contact, like Route and the other structured
headers, is parsed when first read, raises the named SipParseError there, and is kept after.
The UA still refuses a malformed Contact with a 400 before acting on the message."""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

import pytest

from siperb import sip
from siperb.errors import SipParseError
from siperb.sip.useragent import UserAgent, UserAgentConfig


def message(
    *extra: str, start: str = "OPTIONS sip:bob@example.com SIP/2.0", port: int = 5060
) -> bytes:
    method = start.split(" ", 1)[0]
    return (
        f"{start}\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{uuid.uuid4().hex}\r\n"
        "From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\n"
        f"Call-ID: d-{uuid.uuid4().hex[:8]}\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
        + "".join(f"{h}\r\n" for h in extra)
        + "Content-Length: 0\r\n\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("contact", "reason"),
    [
        ("Contact: <sip:a@b>;;", "empty parameter"),
        ("Contact: <sip:a@b", "unterminated '<'"),
        ("Contact: *\r\nContact: <sip:a@b>", "'*' must be the only Contact value"),
    ],
)
def test_a_bad_contact_parses_and_raises_the_named_error_when_read(
    contact: str, reason: str
) -> None:
    m = sip.parse(message(contact))
    # The headers a transaction needs are there as before.
    assert m.method == "OPTIONS" and m.cseq is not None and m.cseq.number == 1
    assert m.via[0].branch is not None and m.from_ is not None and m.from_.tag == "a1"
    for _ in range(2):  # not cached as a value: every read raises again
        with pytest.raises(SipParseError) as info:
            _ = m.contact
        assert info.value.field == "Contact" and reason in (info.value.reason or "")
    with pytest.raises(SipParseError) as info:
        _ = m.contact_star
    assert info.value.field == "Contact"


def test_deferred_lists_are_parsed_once_and_each_read_gets_its_own_list() -> None:
    m = sip.parse(
        message(
            "Contact: <sip:alice@192.0.2.1>;expires=60, <sip:alice@192.0.2.2>",
            "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
            "Route: <sip:p3.example.com;lr>",
        )
    )
    first = m.contact
    assert [c.uri.host for c in first] == ["192.0.2.1", "192.0.2.2"] and first[0].expires == 60
    first.reverse()  # the caller's list is its own
    again = m.contact
    assert [c.uri.host for c in again] == ["192.0.2.1", "192.0.2.2"]
    assert again is not first and again[0] is first[1]  # the same views: parsed once
    rr = m.record_route
    rr.clear()
    assert [r.uri.host for r in m.record_route] == ["p1.example.com", "p2.example.com"]
    assert m.record_route[0] is m.record_route[0]
    assert m.route[0] is m.route[0] and m.route[0].uri.host == "p3.example.com"
    assert not m.contact_star
    assert sip.parse(message("Contact: *", start="REGISTER sip:example.com SIP/2.0")).contact_star


def test_the_mandatory_headers_are_still_validated_by_parse() -> None:
    good = message("Contact: <sip:a@b>")
    for old, new in [
        (b"CSeq: 1 OPTIONS", b"CSeq: x OPTIONS"),
        (b"Max-Forwards: 70", b"Max-Forwards: 256"),
        (b"From: <sip:alice@example.com>;tag=a1", b"From: <sip:alice@example.com>;;tag=a1"),
        (b"Content-Length: 0", b"Content-Length: zero"),
    ]:
        with pytest.raises(SipParseError) as info:
            sip.parse(good.replace(old, new))
        assert info.value.field == old.split(b":")[0].decode()


# ---- through a running UA over UDP ----


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


async def exchange(ua: UserAgent, data: bytes) -> list[bytes]:
    """Sends one datagram at the UA; returns what came back until 0.5 s of quiet."""
    assert ua.flow is not None
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        data = data.replace(b"127.0.0.1:5060", f"127.0.0.1:{s.getsockname()[1]}".encode())
        s.sendto(data, (ua.flow.local.host, ua.flow.local.port))
        got = []
        while True:
            try:
                got.append(await asyncio.wait_for(loop.sock_recv(s, 65536), 0.5))
            except asyncio.TimeoutError:
                return got


@pytest.mark.parametrize("method", ["OPTIONS", "INVITE"])
def test_the_ua_answers_a_request_with_a_malformed_contact_with_400(method: str) -> None:
    async def main() -> None:
        cfg = UserAgentConfig(aor="sip:1000@127.0.0.1", proxy="sip:127.0.0.1:9;transport=udp",
                              udp_keepalive_interval=None)  # fmt: skip
        ua = UserAgent(cfg)
        await ua.start(register=False)
        try:
            start = f"{method} sip:1000@127.0.0.1 SIP/2.0"
            got = await exchange(ua, message("Contact: <sip:a@b>;;", start=start))
            assert len(got) == 1, got
            reply = sip.parse(got[0])
            assert reply.status == 400 and reply.reason == "empty parameter"
            assert ua.router.counters["malformed"] == 1
            # The same request with a good Contact is served.
            got = await exchange(ua, message("Contact: <sip:a@127.0.0.1>", start=start))
            assert got and sip.parse(got[0]).status != 400
        finally:
            await ua.close()

    run(main())
