"""Free loopback ports, so concurrent test runs and other programs never collide."""

from __future__ import annotations

import random
import socket
import time
from pathlib import Path

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


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _candidates() -> list[int]:
    """Ports below the kernel's ephemeral range: outgoing connections never take them."""
    low, high = 10000, _ephemeral_low()
    if high - low < 1000:
        low, high = 1024, 65535
    return random.sample(range(low, high), 400)


def free_port(*, ipv6: bool = True, both: bool = True, span: int = 1) -> int:
    """A port free for UDP and TCP on 127.0.0.1 (and ::1): SIP uses one number for all.

    `span` > 1 asks for that many consecutive free ports (baresip binds SIP/TLS on port + 1).
    Ports already handed out in this process are skipped because the peer binds them later.
    """
    kinds = (socket.SOCK_STREAM, socket.SOCK_DGRAM) if both else (socket.SOCK_STREAM,)
    for port in _candidates():
        block = range(port, port + span)
        if any(p in _handed_out or p > 65535 for p in block):
            continue
        if not all(_bindable(p, socket.AF_INET, kinds) for p in block):
            continue
        if ipv6 and not all(_bindable(p, socket.AF_INET6, kinds) for p in block):
            continue
        _handed_out.update(block)
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
