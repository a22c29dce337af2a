"""Octets that are not UTF-8 where SIP wants tokens: the UA answers 400 naming the field (its
Via can be read) and keeps working."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
from test_ua_common import run, started

from peers.kamailio import DOMAIN, Kamailio
from siperb import sip
from siperb.sip.useragent import UserAgent

pytestmark = pytest.mark.integration


def _raw(ua: UserAgent, data: bytes) -> bytes:
    assert ua.flow is not None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(3)
        s.sendto(data, (ua.flow.local.host, ua.flow.local.port))
        return s.recv(65535)


def _request(start: bytes, extra: bytes = b"") -> bytes:
    return (
        start + b"\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK" + uuid.uuid4().hex.encode()
        + b"\r\nFrom: <sip:raw@127.0.0.1>;tag=r1\r\nTo: <sip:1000@" + DOMAIN.encode() + b">\r\n"
        b"Call-ID: " + uuid.uuid4().hex.encode() + b"\r\nCSeq: 1 OPTIONS\r\n" + extra
        + b"Content-Length: 0\r\n\r\n"
    )  # fmt: skip


@pytest.mark.timeout(30)
def test_non_utf8_requests_get_400_and_the_ua_survives(kamailio: Kamailio) -> None:
    async def main() -> None:
        ua, _ = await started(kamailio, "1000")
        try:
            for data, word in (
                (_request(b"OPTIONS sip:1000@127.0.0.1 SIP/\xff2.0"), "version"),
                (_request(b"OPTIONS sip:1000@127.0.0.1 SIP/2.0", b"X\xffY: 1\r\n"), "header"),
            ):
                reply = sip.parse(await asyncio.to_thread(_raw, ua, data))
                assert reply.status == 400 and word in (reply.reason or "").lower(), reply.reason
            good = _request(b"OPTIONS sip:1000@127.0.0.1 SIP/2.0")
            assert sip.parse(await asyncio.to_thread(_raw, ua, good)).status == 200
            assert (await ua.options()).status == 200
        finally:
            await ua.close()

    run(main())
