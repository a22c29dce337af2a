"""SIP transports over loopback against small in-test servers: UDP, TCP, TLS and WebSocket
flows, stream framing across chunk boundaries, RFC 5626 CRLF keep-alives (pong and dead
connection), credential redaction in traces, and RFC 7118 text/binary frames."""

from __future__ import annotations

import asyncio
import functools
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from siperb import sip
from siperb.errors import TransportError
from siperb.sip.stream import StreamFlow
from siperb.sip.transport import (
    CRLF_PING,
    CRLF_PONG,
    Endpoint,
    Flow,
    TraceRecord,
    TransportKind,
    UdpEndpoint,
    client_ssl_context,
    redact,
)
from siperb.sip.websocket import WebSocketFlow


def options(n: int = 1, body: bytes = b"", extra: str = "") -> bytes:
    head = (
        f"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKt{n}\r\n"
        "From: <sip:alice@a.test>;tag=a1\r\nTo: <sip:bob@b.test>\r\n"
        f"Call-ID: c{n}@a.test\r\nCSeq: {n} OPTIONS\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def run(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Runs an async test on a fresh loop with a time limit (no pytest plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), 20))

    return wrapper


class Inbox:
    """Collects (message, flow) pairs and lets a test await the n-th one."""

    def __init__(self) -> None:
        self.items: list[tuple[sip.Message, Flow]] = []
        self._event = asyncio.Event()

    def __call__(self, message: sip.Message, flow: Flow) -> None:
        self.items.append((message, flow))
        self._event.set()

    async def wait(self, count: int = 1) -> list[tuple[sip.Message, Flow]]:
        while len(self.items) < count:
            self._event.clear()
            await self._event.wait()
        return self.items


# --- UDP -------------------------------------------------------------------------------------


@run
async def test_udp_flow_round_trip_and_per_remote_flows() -> None:
    a_in, b_in = Inbox(), Inbox()
    a = await UdpEndpoint.bind("127.0.0.1", 0, a_in)
    b = await UdpEndpoint.bind("127.0.0.1", 0, b_in)
    try:
        flow = a.flow(b.local)
        assert flow is a.flow(Endpoint(b.local.host, b.local.port))  # one flow per remote
        flow.send_nowait(options(1))
        (msg, back), *_ = await b_in.wait()
        assert msg.call_id == "c1@a.test" and back.kind is TransportKind.UDP
        assert back.remote == a.local
        back.send_nowait(options(2))  # the reply goes back the way the request came
        (reply, _), *_ = await a_in.wait()
        assert reply.call_id == "c2@a.test"
    finally:
        a.close()
        b.close()


@run
async def test_udp_keepalive_datagrams_are_ignored() -> None:
    inbox = Inbox()
    ep = await UdpEndpoint.bind("127.0.0.1", 0, inbox)
    other = await UdpEndpoint.bind("127.0.0.1", 0, Inbox())
    try:
        other.sendto(CRLF_PING, ep.local)
        other.sendto(options(3), ep.local)
        (msg, _), *_ = await inbox.wait()
        assert msg.call_id == "c3@a.test" and len(inbox.items) == 1
    finally:
        ep.close()
        other.close()


# --- TCP and TLS -----------------------------------------------------------------------------


class StreamServer:
    """A one-connection TCP/TLS server whose behaviour the test scripts."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.writer: asyncio.StreamWriter | None = None
        self.connected = asyncio.Event()
        self.got_data = asyncio.Event()
        self.answer_pings = True
        self.server: asyncio.Server | None = None
        self._reader_task: asyncio.Task[None] | None = None

    async def start(self, ssl_ctx: ssl.SSLContext | None = None) -> Endpoint:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0, ssl=ssl_ctx)
        host, port = self.server.sockets[0].getsockname()[:2]
        return Endpoint(host, port)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.connected.set()
        while data := await reader.read(65536):
            self.received += data
            self.got_data.set()
            if self.answer_pings and data.endswith(CRLF_PING):
                writer.write(CRLF_PONG)

    async def wait_for(self, needle: bytes) -> None:
        while needle not in self.received:
            self.got_data.clear()
            await self.got_data.wait()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.server is not None:
            self.server.close()


@run
async def test_tcp_framing_across_chunk_boundaries() -> None:
    server = StreamServer()
    remote = await server.start()
    inbox = Inbox()
    flow = await StreamFlow.connect(TransportKind.TCP, remote, inbox, keepalive_interval=None)
    try:
        await server.connected.wait()
        assert server.writer is not None
        first, second, third = options(1, b"v=0\r\n"), options(2), options(3, b"x" * 3000)
        stream = first + second + third
        # Byte by byte through the first message, then the rest in odd-sized chunks: a chunk
        # ends inside a header, one inside the body, and one holds two messages' boundary.
        for i in range(len(first) - 3):
            server.writer.write(stream[i : i + 1])
            await server.writer.drain()
        rest = stream[len(first) - 3 :]
        for start in range(0, len(rest), 777):
            server.writer.write(rest[start : start + 777])
            await server.writer.drain()
        items = await inbox.wait(3)
        assert [m.call_id for m, _ in items] == ["c1@a.test", "c2@a.test", "c3@a.test"]
        assert items[0][0].body == b"v=0\r\n" and items[2][0].body == b"x" * 3000
        assert all(f is flow for _, f in items)
        flow.send_nowait(options(4))
        await server.wait_for(b"c4@a.test")
    finally:
        flow.close()
        await server.close()


@run
async def test_crlf_ping_gets_pong_and_keeps_the_connection() -> None:
    server = StreamServer()
    remote = await server.start()
    flow = await StreamFlow.connect(TransportKind.TCP, remote, Inbox(), keepalive_interval=0.05,
                                    pong_timeout=0.1)  # fmt: skip
    try:
        await server.connected.wait()
        # Three rounds take longer than the pong timeout: only the pongs kept it open.
        await server.wait_for(CRLF_PING * 3)
        assert not flow.closed and not flow.closed_future.done()
    finally:
        flow.close()
        await server.close()


@run
async def test_server_ping_is_answered_with_pong() -> None:
    received = bytearray()
    got = asyncio.Event()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(CRLF_PING)
        while data := await reader.read(100):
            received.extend(data)
            got.set()

    srv = await asyncio.start_server(client, "127.0.0.1", 0)
    host, port = srv.sockets[0].getsockname()[:2]
    flow = await StreamFlow.connect(TransportKind.TCP, Endpoint(host, port), Inbox(),
                                    keepalive_interval=None)  # fmt: skip
    try:
        await got.wait()
        assert bytes(received) == CRLF_PONG
    finally:
        flow.close()
        srv.close()


@run
async def test_missing_pong_closes_the_dead_connection() -> None:
    server = StreamServer()
    server.answer_pings = False  # alive at TCP level, but never answers: a dead middlebox
    remote = await server.start()
    closed: list[BaseException | None] = []
    flow = await StreamFlow.connect(TransportKind.TCP, remote, Inbox(), keepalive_interval=0.05,
                                    pong_timeout=0.1,
                                    on_close=lambda f, exc: closed.append(exc))  # fmt: skip
    try:
        await asyncio.wait_for(flow.closed_future, 5)
        assert flow.closed and len(closed) == 1
        assert CRLF_PING in server.received
        with pytest.raises(TransportError):
            flow.send_nowait(options(9))
    finally:
        await server.close()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_tls_flow_verifies_and_frames(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files

    @run
    async def main() -> None:
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(cert, key)
        server = StreamServer()
        remote = await server.start(server_ctx)
        inbox = Inbox()
        # Verification is on by default: without our CA the handshake fails.
        with pytest.raises(TransportError):
            await StreamFlow.connect(TransportKind.TLS, remote, inbox, keepalive_interval=None)
        flow = await StreamFlow.connect(
            TransportKind.TLS, remote, inbox, ssl_context=client_ssl_context(str(cert)),
            server_hostname="localhost", keepalive_interval=None,
        )  # fmt: skip
        try:
            await server.connected.wait()
            assert server.writer is not None
            data = options(5) + options(6)
            server.writer.write(data[:100])
            await asyncio.sleep(0.01)
            server.writer.write(data[100:])
            items = await inbox.wait(2)
            assert [m.call_id for m, _ in items] == ["c5@a.test", "c6@a.test"]
            assert flow.kind is TransportKind.TLS and flow.kind.secure
            flow.send_nowait(options(7))
            await server.wait_for(b"c7@a.test")
        finally:
            flow.close()
            await server.close()

    main()


# --- redaction -------------------------------------------------------------------------------

DIGEST = (
    'Authorization: Digest username="1000", realm="siperb.test", nonce="abc", '
    'uri="sip:siperb.test", response="0123456789abcdef0123456789abcdef", algorithm=MD5\r\n'
)


def test_redact_digest_responses_and_bearer_tokens() -> None:
    data = options(1, extra=DIGEST + DIGEST.replace("Authorization", "Proxy-Authorization")
                   + "Authorization: Bearer eyJhbGciOi.secret.token\r\n")  # fmt: skip
    out = redact(data)
    assert b"0123456789abcdef" not in out and b"eyJhbGciOi" not in out
    assert out.count(b'response="<redacted>"') == 2
    assert b"Authorization: Bearer <redacted>" in out
    # Everything else is untouched: the trace is still useful.
    assert b'username="1000"' in out and b'nonce="abc"' in out and b"c1@a.test" in out
    # Lower-case and compact spacing are found too; a "response" outside the header is not.
    other = b'proxy-authorization:digest response=deadbeef,nonce="n"\r\nX-Note: response=keep\r\n'
    assert redact(other) == (
        b'proxy-authorization:digest response="<redacted>",nonce="n"\r\nX-Note: response=keep\r\n'
    )


@run
async def test_trace_records_are_redacted_but_the_wire_is_not() -> None:
    records: list[TraceRecord] = []
    inbox = Inbox()
    a = await UdpEndpoint.bind("127.0.0.1", 0, Inbox(), trace=records.append)
    b = await UdpEndpoint.bind("127.0.0.1", 0, inbox)
    try:
        a.flow(b.local).send_nowait(options(1, extra=DIGEST))
        (msg, _), *_ = await inbox.wait()
        assert "0123456789abcdef" in (msg.header("Authorization") or "")  # sent intact
        (rec,) = records
        assert rec.direction == "out" and rec.remote == b.local and rec.kind is TransportKind.UDP
        assert b"0123456789abcdef" not in rec.data and b'response="<redacted>"' in rec.data
    finally:
        a.close()
        b.close()


# --- WebSocket -------------------------------------------------------------------------------


@run
async def test_websocket_text_and_binary_frames() -> None:
    from websockets.asyncio.server import ServerConnection, serve

    frames: list[str | bytes] = []
    got = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        assert ws.subprotocol == "sip"
        await ws.send(options(1).decode())  # a SIP message in a text frame
        async for frame in ws:
            frames.append(frame)
            got.set()

    async with serve(handler, "127.0.0.1", 0, subprotocols=["sip"]) as server:  # type: ignore[list-item]
        port = server.sockets[0].getsockname()[1]
        inbox = Inbox()
        flow = await WebSocketFlow.connect(f"ws://127.0.0.1:{port}/ws", inbox, ping_interval=None)
        try:
            (msg, f), *_ = await inbox.wait()
            assert msg.call_id == "c1@a.test" and f is flow and flow.kind is TransportKind.WS
            flow.send_nowait(options(2))
            binary = bytes(range(256))  # not UTF-8: RFC 7118 5 wants a binary frame
            flow.send_nowait(options(3, binary))
            while len(frames) < 2:
                got.clear()
                await got.wait()
            assert isinstance(frames[0], str) and "c2@a.test" in frames[0]
            assert isinstance(frames[1], bytes) and frames[1].endswith(binary)
        finally:
            flow.close()
            await asyncio.wait_for(flow.closed_future, 5)


@run
async def test_websocket_without_sip_subprotocol_is_refused() -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server:  # no "sip" subprotocol offered back
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(TransportError) as info:
            await WebSocketFlow.connect(f"ws://127.0.0.1:{port}/", Inbox(), ping_interval=None)
        assert info.value.field == "subprotocol"
