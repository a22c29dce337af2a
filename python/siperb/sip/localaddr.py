"""Which local address reaches a peer: the source address the kernel picks toward it.

A connected UDP socket sends nothing: ``connect()`` only runs the routing decision, and
``getsockname()`` then names the address of the interface (and its preferred source) that
the peer is reached through. SIP over UDP binds it, and RTP is bound to and advertised on it,
so a phone on a LAN never offers a loopback address to a peer that is not on loopback.
"""

from __future__ import annotations

import ipaddress
import socket

from ..errors import TransportError


def source_address(host: str, port: int = 9) -> str | None:
    """The local address the kernel would send from toward ``host``; None without a route."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((host, port or 9))
            return str(probe.getsockname()[0])
    except OSError:
        return None


def require_source_address(host: str, port: int = 9) -> str:
    """Like :func:`source_address`, but a missing route is a TransportError."""
    found = source_address(host, port)
    if found is None:
        raise TransportError(f"no route to {host}", field="connect", reason="no route")
    return found


def is_unspecified(host: str) -> bool:
    """``0.0.0.0`` or ``::`` (a wildcard bind says nothing about the address in use)."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_unspecified
    except ValueError:
        return False
