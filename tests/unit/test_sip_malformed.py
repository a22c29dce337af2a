"""Malformed SIP on every transport: a request whose Via can be read gets a 400 (over UDP, TCP
and WebSocket alike), a bad message on a stream is skipped without losing the connection or
the messages framed behind it, and octets that are not UTF-8 are parse errors like any other."""

from __future__ import annotations

import asyncio
import functools
import re
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from siperb import sip
from siperb.errors import SiperbError, SipParseError
from siperb.sip.router import bad_request_for
from siperb.sip.stream import StreamFlow
from siperb.sip.transport import (
    Endpoint,
    Flow,
    TransportKind,
    UdpEndpoint,
)
from siperb.sip.websocket import WebSocketFlow


def request(
    n: int, start: bytes = b"OPTIONS sip:bob@127.0.0.1 SIP/2.0", extra: bytes = b""
) -> bytes:
    return (
        start + b"\r\n"
        b"Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKm" + str(n).encode() + b"\r\n"
        b"From: <sip:alice@a.test>;tag=a1\r\nTo: <sip:bob@b.test>\r\n"
        b"Call-ID: m" + str(n).encode() + b"@a.test\r\nCSeq: " + str(n).encode() + b" OPTIONS\r\n"
        + extra + b"Content-Length: 0\r\n\r\n"
    )  # fmt: skip


#: Malformed when parsed (not when a header is first read): a version that is not UTF-8, a
#: header name with a 0xFF octet, a CSeq naming another method.
BAD = [
    request(101, b"OPTIONS sip:bob@127.0.0.1 SIP/\xff2.0"),
    request(102, extra=b"X\xffY: 1\r\n"),
    request(103, extra=b"").replace(b"103 OPTIONS", b"103 INVITE"),
]


def run(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), 20))

    return wrapper


class Inbox:
    def __init__(self) -> None:
        self.messages: list[sip.Message] = []
        self.rejected: list[tuple[bytes, SiperbError]] = []
        self.changed = asyncio.Event()

    def on_message(self, message: sip.Message, flow: Flow) -> None:
        self.messages.append(message)
        self.changed.set()

    def on_malformed(self, data: bytes, flow: Flow, exc: SiperbError) -> None:
        """What the UA's router does: a 400 built from the raw Via/From/To/Call-ID/CSeq."""
        self.rejected.append((data, exc))
        response = bad_request_for(data, exc.reason or str(exc))
        if response is not None:
            flow.send_nowait(response)
        self.changed.set()

    async def wait(self, messages: int, rejected: int) -> None:
        while len(self.messages) < messages or len(self.rejected) < rejected:
            self.changed.clear()
            await self.changed.wait()


@run
async def test_udp_request_with_non_utf8_version_gets_400() -> None:
    inbox = Inbox()
    ep = await UdpEndpoint.bind("127.0.0.1", 0, inbox.on_message, None, inbox.on_malformed)
    assert ep.local is not None
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        try:
            for bad in BAD:
                await loop.sock_sendto(s, bad, (ep.local.host, ep.local.port))
                reply = sip.parse(await asyncio.wait_for(loop.sock_recv(s, 65535), 3))
                assert reply.status == 400
                call_id = re.search(rb"Call-ID: (\S+)", bad)
                assert call_id is not None and reply.call_id == call_id.group(1).decode()
            # The endpoint still serves good requests.
            await loop.sock_sendto(s, request(1), (ep.local.host, ep.local.port))
            await inbox.wait(1, len(BAD))
            assert [e.field for _, e in inbox.rejected] == ["start-line", "headers", "CSeq"]
        finally:
            ep.close()


async def _stream_server(
    payload: bytes,
) -> tuple[asyncio.Server, Endpoint, bytearray, asyncio.Event]:
    received = bytearray()
    got = asyncio.Event()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(payload)
        while data := await reader.read(65536):
            received.extend(data)
            got.set()

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    return server, Endpoint(host, port), received, got


@run
async def test_tcp_malformed_message_is_answered_and_the_connection_kept() -> None:
    # Good, bad, good, bad, good in one write: every good one arrives, every bad one is
    # answered with 400, and the connection stays up.
    stream = request(1) + BAD[0] + request(2) + BAD[1] + BAD[2] + request(3)
    server, remote, received, got = await _stream_server(stream)
    inbox = Inbox()
    flow = await StreamFlow.connect(
        TransportKind.TCP, remote, inbox.on_message, keepalive_interval=None,
        on_malformed=inbox.on_malformed,
    )  # fmt: skip
    try:
        await inbox.wait(3, 3)
        assert [m.call_id for m in inbox.messages] == ["m1@a.test", "m2@a.test", "m3@a.test"]
        while received.count(b"SIP/2.0 400 ") < 3:
            got.clear()
            await got.wait()
        assert not flow.closed and not flow.closed_future.done()
        flow.send_nowait(request(4))  # and it still carries our requests
        while b"m4@a.test" not in received:
            got.clear()
            await got.wait()
    finally:
        flow.close()
        server.close()


@run
async def test_tcp_framing_error_still_closes_the_connection() -> None:
    server, remote, _, _ = await _stream_server(request(1, extra=b"Content-Length: -5\r\n"))
    flow = await StreamFlow.connect(TransportKind.TCP, remote, Inbox().on_message,
                                    keepalive_interval=None)  # fmt: skip
    try:
        await asyncio.wait_for(flow.closed_future, 5)
    finally:
        flow.close()
        server.close()


@run
async def test_websocket_malformed_frame_is_answered_and_the_connection_kept() -> None:
    from websockets.asyncio.server import ServerConnection, serve

    frames: list[str | bytes] = []
    got = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        for data in (BAD[0], request(1), BAD[1], request(2)):
            await ws.send(data)  # binary frames (not UTF-8)
        async for frame in ws:
            frames.append(frame)
            got.set()

    async with serve(handler, "127.0.0.1", 0, subprotocols=["sip"]) as server:  # type: ignore[list-item]
        port = server.sockets[0].getsockname()[1]
        inbox = Inbox()
        flow = await WebSocketFlow.connect(
            f"ws://127.0.0.1:{port}/ws", inbox.on_message, on_malformed=inbox.on_malformed,
            ping_interval=None,
        )  # fmt: skip
        try:
            await inbox.wait(2, 2)
            while len(frames) < 2:
                got.clear()
                await got.wait()
            assert all("SIP/2.0 400 " in str(f) for f in frames)
            assert not flow.closed
        finally:
            flow.close()
            await asyncio.wait_for(flow.closed_future, 5)


def test_framer_keeps_the_rejected_message_and_its_sync() -> None:
    framer = sip.StreamFramer()
    assert [m.call_id for m in framer.feed(request(1) + BAD[0] + request(2))] == ["m1@a.test"]
    try:
        framer.feed(b"")
    except SipParseError as exc:
        assert exc.field == "start-line" and "\\xff" in (exc.reason or "")
    else:
        raise AssertionError("the malformed message did not raise")
    assert framer.rejected == BAD[0]
    assert [m.call_id for m in framer.feed(b"")] == ["m2@a.test"]
    assert framer.rejected == b"" and framer.buffered == 0
