"""UDP keep-alive through NAT (RFC 5626 4.4.1): STUN Binding encoding (RFC 5389), the STUN /
SIP demultiplexing on the UDP socket, the public address learnt from STUN and from Via
received/rport (RFC 3581), and the change callback that makes the UA register again."""

from __future__ import annotations

import asyncio
import ipaddress
import struct
from typing import Any

from siperb import sip
from siperb.sip.keepalive import UdpKeepAlive, via_public_address
from siperb.sip.stun import MAGIC_COOKIE, binding_request, is_stun, parse_binding_response
from siperb.sip.transport import Endpoint, UdpEndpoint


def success(txid: bytes, host: str, port: int, *, xor: bool = True) -> bytes:
    """A Binding success response written here independently of the module under test."""
    packed = ipaddress.ip_address(host).packed
    family = 1 if len(packed) == 4 else 2
    if xor:
        port ^= MAGIC_COOKIE >> 16
        mask = MAGIC_COOKIE.to_bytes(4, "big") + txid
        packed = bytes(a ^ b for a, b in zip(packed, mask, strict=False))
    value = struct.pack("!BBH", 0, family, port) + packed
    attr = struct.pack("!HH", 0x0020 if xor else 0x0001, len(value)) + value
    return struct.pack("!HHI", 0x0101, len(attr), MAGIC_COOKIE) + txid + attr


def test_binding_request_is_a_stun_header_only() -> None:
    txid, data = binding_request()
    assert len(data) == 20 and data[:4] == b"\x00\x01\x00\x00" and data[8:] == txid
    assert is_stun(data)
    assert not is_stun(b"\r\n\r\n") and not is_stun(b"OPTIONS sip:x SIP/2.0\r\n" * 2)


def test_mapped_addresses_v4_v6_xor_and_classic() -> None:
    txid, _ = binding_request()
    assert parse_binding_response(success(txid, "203.0.113.1", 40001)) == (
        txid, ("203.0.113.1", 40001),
    )  # fmt: skip
    assert parse_binding_response(success(txid, "2001:db8::1", 5)) == (txid, ("2001:db8::1", 5))
    classic = success(txid, "198.51.100.9", 6000, xor=False)
    assert parse_binding_response(classic) == (txid, ("198.51.100.9", 6000))
    _, request = binding_request()
    assert parse_binding_response(request) is None  # a request is not a response


def test_public_address_from_via_received_and_rport() -> None:
    resp = sip.parse(
        b"SIP/2.0 200 OK\r\n"
        b"Via: SIP/2.0/UDP 198.51.100.10:5062;branch=z9hG4bK1;rport=40000;received=203.0.113.1\r\n"
        b"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    assert via_public_address(resp) == ("203.0.113.1", 40000)
    plain = sip.parse(
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.51.100.10:5062;branch=z9hG4bK1;rport\r\n"
        b"From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    assert via_public_address(plain) is None  # nothing learnt: no received, no rport value


def test_keepalive_pings_learns_and_reports_a_remapping() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        mapped = ["203.0.113.1", 40000]

        class StunServer(asyncio.DatagramProtocol):
            def connection_made(self, transport: Any) -> None:
                self.transport = transport

            def datagram_received(self, data: bytes, addr: Any) -> None:
                self.transport.sendto(success(data[8:20], mapped[0], int(mapped[1])), addr)

        server, _ = await loop.create_datagram_endpoint(StunServer, local_addr=("127.0.0.1", 0))
        port = server.get_extra_info("sockname")[1]
        sip_in: list[Any] = []
        ep = await UdpEndpoint.bind("127.0.0.1", 0, lambda m, f: sip_in.append(m))
        flow = ep.flow(Endpoint("127.0.0.1", port))
        changes: list[tuple[Any, Any]] = []
        ka = UdpKeepAlive(lambda: flow, 0.05, lambda old, new: changes.append((old, new)))
        ep.on_stun = ka.on_stun
        try:
            ka.start()
            while ka.public is None:
                await asyncio.sleep(0.01)
            assert ka.public == ("203.0.113.1", 40000) and changes == []
            mapped[1] = 40002  # the NAT forgot the mapping and made another
            while not changes:
                await asyncio.sleep(0.01)
            assert changes[0] == (("203.0.113.1", 40000), ("203.0.113.1", 40002))
            assert ka.sent >= 2 and ka.answered >= 2
            assert sip_in == []  # STUN never reaches the SIP parser
        finally:
            ka.close()
            ep.close()
            server.close()

    asyncio.run(asyncio.wait_for(main(), 10))


def test_a_proxy_that_stops_answering_is_lost_and_its_return_reported() -> None:
    """A registrar restart over UDP: STUN answered, then unanswered (lost), then answered
    again (back: the UA registers again)."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        answering = [True]

        class StunServer(asyncio.DatagramProtocol):
            def connection_made(self, transport: Any) -> None:
                self.transport = transport

            def datagram_received(self, data: bytes, addr: Any) -> None:
                if answering[0]:
                    self.transport.sendto(success(data[8:20], "203.0.113.1", 40000), addr)

        server, _ = await loop.create_datagram_endpoint(StunServer, local_addr=("127.0.0.1", 0))
        port = server.get_extra_info("sockname")[1]
        ep = await UdpEndpoint.bind("127.0.0.1", 0, lambda m, f: None)
        flow = ep.flow(Endpoint("127.0.0.1", port))
        seen: list[str] = []
        ka = UdpKeepAlive(lambda: flow, 0.03, lambda old, new: None,
                          on_lost=lambda: seen.append("lost"),
                          on_back=lambda: seen.append("back"))  # fmt: skip
        ep.on_stun = ka.on_stun
        try:
            ka.start()
            while ka.answered < 2:
                await asyncio.sleep(0.01)
            assert seen == [] and not ka.lost
            answering[0] = False
            while not seen:
                await asyncio.sleep(0.01)
            assert seen == ["lost"] and ka.lost
            await asyncio.sleep(0.1)
            assert seen == ["lost"]  # said once
            answering[0] = True
            while len(seen) < 2:
                await asyncio.sleep(0.01)
            assert seen == ["lost", "back"] and not ka.lost
            assert not ka.stun_ignored  # it answered: never taken for a proxy without STUN
        finally:
            ka.close()
            ep.close()
            server.close()

    asyncio.run(asyncio.wait_for(main(), 10))


def test_a_proxy_that_ignores_stun_gets_crlf_keepalives() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        got: list[bytes] = []

        class Silent(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                got.append(data)

        server, _ = await loop.create_datagram_endpoint(Silent, local_addr=("127.0.0.1", 0))
        port = server.get_extra_info("sockname")[1]
        ep = await UdpEndpoint.bind("127.0.0.1", 0, lambda m, f: None)
        flow = ep.flow(Endpoint("127.0.0.1", port))
        ka = UdpKeepAlive(lambda: flow, 0.02, lambda old, new: None)
        try:
            ka.start()
            while len(got) < 5:
                await asyncio.sleep(0.01)
            assert all(is_stun(d) for d in got[:3]), got
            assert all(d == b"\r\n\r\n" for d in got[3:5]), got
            assert ka.stun_ignored and ka.public is None
        finally:
            ka.close()
            ep.close()
            server.close()

    asyncio.run(asyncio.wait_for(main(), 10))


def _response(via_params: str) -> Any:
    return sip.parse(
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.51.100.10:5062;branch=z9hG4bK1;"
        + via_params.encode()
        + b"\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:a@x>;tag=2\r\nCall-ID: c\r\n"
        b"CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
    )


def test_only_the_proxy_flow_teaches_the_public_address() -> None:
    """A spoofed received/rport (a response from someone else, a name, the wrong family) is
    ignored: no remapping, no re-registration; the proxy's own response counts."""

    async def main() -> None:
        ep = await UdpEndpoint.bind("127.0.0.1", 0, lambda m, f: None)
        proxy = ep.flow(Endpoint("127.0.0.1", 5060))
        other = ep.flow(Endpoint("127.0.0.2", 5060))
        changes: list[tuple[Any, Any]] = []
        ka = UdpKeepAlive(lambda: proxy, 30, lambda old, new: changes.append((old, new)))
        try:
            ka.observe_response(_response("rport=40000;received=203.0.113.1"), proxy)
            assert ka.public == ("203.0.113.1", 40000)
            for params, flow in (
                ("rport=1234;received=198.51.100.66", other),  # not from our proxy
                ("rport=1234;received=evil.example", proxy),  # not an address
                ("rport=1234;received=2001:db8::66", proxy),  # wrong family for this flow
            ):
                ka.observe_response(_response(params), flow)
                assert ka.public == ("203.0.113.1", 40000), params
            assert changes == []
            ka.observe_response(_response("rport=40002;received=203.0.113.1"), proxy)
            assert changes == [(("203.0.113.1", 40000), ("203.0.113.1", 40002))]
        finally:
            ep.close()

    asyncio.run(asyncio.wait_for(main(), 10))
