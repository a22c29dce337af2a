"""The SIP UDP socket reads into one buffer of its own (siperb.sip.datagram): a datagram costs
its own size, not a 256 KiB block (asyncio's recvfrom size, issue 17); every size up to the
largest UDP payload arrives whole; sends the kernel cannot take wait for the socket."""

from __future__ import annotations

import asyncio
import socket
import tracemalloc
from typing import Any

from siperb.sip.datagram import MAX_DATAGRAM, DatagramSocket
from siperb.sip.transport import UdpEndpoint


def options(n: int) -> bytes:
    return (
        f"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKd{n}\r\n"
        f"From: <sip:alice@a.test>;tag=a1\r\nTo: <sip:bob@b.test>\r\nCall-ID: c{n}@a.test\r\n"
        f"CSeq: {n} OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()


async def _bound(received: list[bytes], errors: list[OSError]) -> DatagramSocket:
    return await DatagramSocket.bind(
        "127.0.0.1", 0, lambda data, addr: received.append(data), errors.append
    )


async def _until(cond: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not cond():
            await asyncio.sleep(0.005)


def test_a_datagram_costs_its_own_size_not_a_quarter_megabyte() -> None:
    async def go() -> int:
        call_ids: list[str] = []
        ep = await UdpEndpoint.bind("127.0.0.1", 0, lambda m, flow: call_ids.append(m.call_id))
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            tracemalloc.start()
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            for i in range(200):
                sender.sendto(options(i), (ep.local.host, ep.local.port))
                if i % 20 == 19:
                    await _until(lambda n=i: len(call_ids) == n + 1)
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
            sender.close()
            ep.close()
        assert call_ids == [f"c{i}@a.test" for i in range(200)]
        return peak

    peak = asyncio.run(go())
    # 200 call IDs and the loop's own bookkeeping: far below the one 262,144-byte block
    # asyncio's datagram transport allocates for every datagram it reads.
    assert peak < 128 * 1024, peak


def test_every_size_up_to_the_largest_udp_payload_arrives_whole() -> None:
    async def go() -> None:
        received: list[bytes] = []
        ds = await _bound(received, [])
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        sizes = [0, 1, 1500, 9000, 65507]  # 65,507: IPv4's largest UDP payload
        try:
            for n in sizes:
                sender.sendto(bytes(range(256)) * (n // 256) + b"z" * (n % 256), ds.sockname)
            await _until(lambda: len(received) == len(sizes))
        finally:
            sender.close()
            ds.close()
        assert [len(x) for x in received] == sizes
        assert received[-1][:256] == bytes(range(256)) and sizes[-1] <= MAX_DATAGRAM

    asyncio.run(go())


def test_sends_the_kernel_refuses_for_now_wait_for_the_socket_in_order() -> None:
    async def go() -> None:
        got: list[bytes] = []
        sink = await _bound(got, [])
        errors: list[OSError] = []
        ds = await _bound([], errors)
        real = ds._sock
        refusals = 3

        class Full:  # the real socket, whose first sends find its buffer full
            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

            def sendto(self, data: bytes, addr: Any) -> int:
                nonlocal refusals
                if refusals:
                    refusals -= 1
                    raise BlockingIOError
                return real.sendto(data, addr)

        ds._sock = Full()  # type: ignore[assignment]
        try:
            for i in range(5):
                ds.sendto(b"d%d" % i, sink.sockname)
            assert ds._queue and got == []  # queued behind the refused one
            await _until(lambda: len(got) == 5)
        finally:
            ds.close()
            sink.close()
        assert got == [b"d0", b"d1", b"d2", b"d3", b"d4"] and errors == []

    asyncio.run(go())
