"""Hand-written SIP text over UDP, TCP, TLS, WS and WSS: probes Kamailio without any SIP stack.

Deliberately dumb (no parsing beyond framing) so that harness checks do not depend on the
code under test.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
import uuid
from typing import Any

TRANSPORTS = ("udp", "tcp", "tls", "ws", "wss")


def insecure_client_context() -> ssl.SSLContext:
    """TLS client context accepting the harness's self-signed certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class RawSipClient:
    """One connection (or UDP socket) to a SIP server; send text, receive whole messages."""

    def __init__(
        self, transport: str, host: str, port: int, *, path: str = "/ws", timeout: float = 5.0
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}")
        self.transport = transport
        self.host, self.port = host, port
        self.timeout = timeout
        self._buf = b""
        self._sock: socket.socket | None = None
        self._ws: Any = None
        self._stack = contextlib.ExitStack()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if transport == "udp":
            self._sock = socket.socket(family, socket.SOCK_DGRAM)
            self._sock.bind((host, 0))
            self._sock.connect((host, port))
        elif transport in ("tcp", "tls"):
            sock = socket.create_connection((host, port), timeout=timeout)
            if transport == "tls":
                sock = insecure_client_context().wrap_socket(sock, server_hostname=None)
            self._sock = sock
        else:
            from websockets.sync.client import connect

            scheme = "wss" if transport == "wss" else "ws"
            h = f"[{host}]" if family == socket.AF_INET6 else host
            self._ws = self._stack.enter_context(
                connect(
                    f"{scheme}://{h}:{port}{path}",
                    subprotocols=["sip"],  # type: ignore[list-item]
                    ssl=insecure_client_context() if scheme == "wss" else None,
                    open_timeout=timeout,
                )
            )

    @property
    def via_transport(self) -> str:
        return self.transport.upper()

    @property
    def local(self) -> tuple[str, int]:
        """Local address for Via/Contact (a WS client uses a `.invalid` host instead)."""
        if self._sock is not None:
            addr = self._sock.getsockname()
            return str(addr[0]), int(addr[1])
        addr = self._ws.socket.getsockname()
        return str(addr[0]), int(addr[1])

    def send(self, text: str) -> None:
        data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
        if self._ws is not None:
            self._ws.send(data.decode())
        else:
            assert self._sock is not None
            self._sock.sendall(data)

    def recv(self, timeout: float | None = None) -> str:
        """The next complete SIP message (raises TimeoutError)."""
        limit = self.timeout if timeout is None else timeout
        if self._ws is not None:
            msg = self._ws.recv(timeout=limit)
            return msg if isinstance(msg, str) else msg.decode(errors="replace")
        assert self._sock is not None
        if self.transport == "udp":
            self._sock.settimeout(limit)
            return self._sock.recv(65535).decode(errors="replace")
        deadline = time.monotonic() + limit
        while True:
            msg = self._take_stream_message()
            if msg is not None:
                return msg
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no complete SIP message")
            self._sock.settimeout(left)
            chunk = self._sock.recv(65535)
            if not chunk:
                raise ConnectionError("connection closed by peer")
            self._buf += chunk

    def _take_stream_message(self) -> str | None:
        self._buf = self._buf.lstrip(b"\r\n")  # keep-alive CRLFs
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self._buf[:end].decode(errors="replace")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() in ("content-length", "l"):
                length = int(value.strip())
        total = end + 4 + length
        if len(self._buf) < total:
            return None
        msg, self._buf = self._buf[:total], self._buf[total:]
        return msg.decode(errors="replace")

    def recv_response(self, cseq_method: str, timeout: float | None = None) -> str:
        """Skip provisional responses and unrelated requests; return the final response."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            msg = self.recv(max(0.01, deadline - time.monotonic()))
            if not msg.startswith("SIP/2.0 "):
                continue
            code = int(msg.split(" ", 2)[1])
            if code >= 200 and f" {cseq_method}" in header(msg, "CSeq"):
                return msg

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stack.close()
            if self._sock is not None:
                self._sock.close()

    def __enter__(self) -> RawSipClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def status_code(msg: str) -> int:
    """Status code of a response's first line ("SIP/2.0 401 Unauthorized" -> 401)."""
    first = msg.split("\r\n", 1)[0]
    if not first.startswith("SIP/2.0 "):
        raise ValueError(f"not a response: {first!r}")
    return int(first.split(" ", 2)[1])


def header(msg: str, name: str) -> str:
    """Value of the first header `name` (case-insensitive), "" if absent."""
    head = msg.split("\r\n\r\n", 1)[0]
    for line in head.split("\r\n")[1:]:
        n, _, v = line.partition(":")
        if n.strip().lower() == name.lower():
            return v.strip()
    return ""


def new_branch() -> str:
    return "z9hG4bK" + uuid.uuid4().hex[:16]


def new_tag() -> str:
    return uuid.uuid4().hex[:10]
