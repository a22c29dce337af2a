"""Free loopback ports, so concurrent test runs and other programs never collide."""

from __future__ import annotations

import socket
import time

LOOPBACK4 = "127.0.0.1"
LOOPBACK6 = "::1"

_handed_out: set[int] = set()


def _bindable(port: int, family: int, kinds: tuple[int, ...]) -> bool:
    host = LOOPBACK4 if family == socket.AF_INET else LOOPBACK6
    for kind in kinds:
        with socket.socket(family, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


def free_port(*, ipv6: bool = True, both: bool = True) -> int:
    """A port free for UDP and TCP on 127.0.0.1 (and ::1): SIP uses one number for all.

    Ports already handed out in this process are skipped because the peer binds them later.
    """
    kinds = (socket.SOCK_STREAM, socket.SOCK_DGRAM) if both else (socket.SOCK_STREAM,)
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((LOOPBACK4, 0))
            port = int(s.getsockname()[1])
        if port in _handed_out:
            continue
        if not _bindable(port, socket.AF_INET, kinds):
            continue
        if ipv6 and not _bindable(port, socket.AF_INET6, kinds):
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free loopback port found")


def wait_tcp(host: str, port: int, timeout: float) -> bool:
    """Poll until something accepts TCP on host:port (readiness of a started peer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False
