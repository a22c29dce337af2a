"""The UA's own address off loopback (issue #13): RTP is bound to and advertised on the local
address of the interface that reaches the proxy, and Via/Contact carry it, per transport and
family. Never a loopback address toward a non-loopback peer.

The end-to-end checks use this machine's own non-loopback address (found with an independent
connected-UDP probe) and skip when there is none; tests/netns repeats them across a NAT.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from siperb import sip
from siperb.sip.transport import Endpoint, Flow, TransportKind
from siperb.sip.useragent import UserAgent, UserAgentConfig

T = TypeVar("T")
# Documentation addresses (RFC 5737 / RFC 3849): never routed, only compared.
LOCAL = {"v4": "198.51.100.7", "v6": "2001:db8::7"}
PROXY = {"v4": "203.0.113.1", "v6": "2001:db8:1::1"}


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 10))  # type: ignore[arg-type]


def ua_for(proxy: str, **kw: Any) -> UserAgent:
    return UserAgent(UserAgentConfig(aor="sip:1000@siperb.test", proxy=proxy, **kw))


def uri_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@pytest.mark.parametrize("family", ["v4", "v6"])
@pytest.mark.parametrize("kind", [TransportKind.WS, TransportKind.WSS])
def test_websocket_media_host_is_the_connections_local_address(
    kind: TransportKind, family: str
) -> None:
    async def main() -> None:
        scheme = kind.value.lower()
        ua = ua_for(f"{scheme}://{uri_host(PROXY[family])}:8088/ws")
        ua.flow = Flow(kind, Endpoint(LOCAL[family], 40000), Endpoint(PROXY[family], 8088), None)
        assert ua.media_host() == LOCAL[family]
        # RFC 7118: Via and Contact keep the .invalid host over WebSocket.
        assert ".invalid" in ua.via() and ".invalid" in ua.contact()

    run(main())


@pytest.mark.parametrize("family", ["v4", "v6"])
@pytest.mark.parametrize("kind", [TransportKind.UDP, TransportKind.TCP, TransportKind.TLS])
def test_via_contact_and_media_carry_the_flows_local_address(
    kind: TransportKind, family: str
) -> None:
    async def main() -> None:
        ua = ua_for(f"sip:{uri_host(PROXY[family])};transport={kind.uri_param}")
        ua.flow = Flow(kind, Endpoint(LOCAL[family], 5062), Endpoint(PROXY[family], 5060), None)
        sent_by = f"{uri_host(LOCAL[family])}:5062"
        assert ua.media_host() == LOCAL[family]
        assert f"SIP/2.0/{kind.value} {sent_by};" in ua.via()
        assert ua.contact_uri().raw == f"sip:1000@{sent_by};transport={kind.uri_param}"

    run(main())


# ---- end to end, on this machine's own non-loopback address ----


def own_address(family: int) -> str:
    """A non-loopback address of this machine, by the kernel's source choice toward a
    documentation address (nothing is sent), or skip."""
    target = "203.0.113.1" if family == socket.AF_INET else "2001:db8::1"
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.connect((target, 9))
            host = str(s.getsockname()[0])
    except OSError:
        pytest.skip("no route off loopback on this machine")
    if ipaddress.ip_address(host.split("%")[0]).is_loopback or host.startswith("fe80"):
        pytest.skip("no non-loopback address on this machine")
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.bind((host, 0))
    except OSError:
        pytest.skip(f"cannot bind {host}")
    return host


FAMILIES = {"v4": socket.AF_INET, "v6": socket.AF_INET6}


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_udp_binds_and_advertises_the_address_toward_the_proxy(family: str) -> None:
    host = own_address(FAMILIES[family])

    async def main() -> None:
        loop = asyncio.get_running_loop()
        got: asyncio.Future[tuple[bytes, Any]] = loop.create_future()

        class Proxy(asyncio.DatagramProtocol):
            def connection_made(self, transport: Any) -> None:
                self.transport = transport

            def datagram_received(self, data: bytes, addr: Any) -> None:
                if not got.done():
                    got.set_result((data, addr))
                req = sip.parse(data)
                via = req.header("Via") or ""
                reply = (
                    f"SIP/2.0 200 OK\r\nVia: {via}\r\nFrom: {req.header('From')}\r\n"
                    f"To: {req.header('To')};tag=p\r\nCall-ID: {req.header('Call-ID')}\r\n"
                    f"CSeq: {req.header('CSeq')}\r\nContent-Length: 0\r\n\r\n"
                )
                self.transport.sendto(reply.encode(), addr)

        transport, _ = await loop.create_datagram_endpoint(Proxy, local_addr=(host, 0))
        port = transport.get_extra_info("sockname")[1]
        ua = ua_for(f"sip:{uri_host(host)}:{port}")
        try:
            await ua.start(register=False)
            assert (await ua.options()).status == 200
            data, addr = await got
            assert addr[0] == host, f"sent from {addr[0]}, not from {host}"
            assert f"SIP/2.0/UDP {uri_host(host)}:{addr[1]};" in data.decode()
            assert ua.media_host() == host
            assert f"@{uri_host(host)}:{addr[1]};" in ua.contact()
        finally:
            await ua.close()
            transport.close()

    run(main())


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_websocket_media_is_on_the_address_toward_the_proxy(family: str) -> None:
    host = own_address(FAMILIES[family])
    from websockets.asyncio.server import ServerConnection, serve

    async def main() -> None:
        async def handler(ws: ServerConnection) -> None:
            await ws.wait_closed()

        async with serve(handler, host, 0, subprotocols=["sip"]) as server:  # type: ignore[list-item]
            port = next(iter(server.sockets)).getsockname()[1]
            ua = ua_for(f"ws://{uri_host(host)}:{port}/ws")
            try:
                await ua.start(register=False)
                assert ua.media_host() == host
            finally:
                await ua.close()

    run(main())


def test_unbound_udp_names_the_address_toward_the_proxy_not_the_wildcard() -> None:
    async def main() -> None:
        ua = ua_for("sip:127.0.0.1:5060")
        ua.flow = Flow(
            TransportKind.UDP, Endpoint("0.0.0.0", 5062), Endpoint("127.0.0.1", 5060), None
        )
        assert ua.media_host() == "127.0.0.1"
        assert "SIP/2.0/UDP 127.0.0.1:5062;" in ua.via()

    run(main())
