"""STUN Binding requests and responses (RFC 5389), as RFC 5626 keep-alives on a SIP UDP flow.

Only what a keep-alive needs: a Binding request (no attributes), and from a Binding success
response the transaction ID and the mapped address (XOR-MAPPED-ADDRESS, or the classic
MAPPED-ADDRESS). STUN and SIP share the socket; :func:`is_stun` tells them apart (RFC 5389
section 6: the two top bits are zero and the magic cookie is at bytes 4..7).
"""

from __future__ import annotations

import ipaddress
import os
import struct

MAGIC_COOKIE = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
MAPPED_ADDRESS = 0x0001
XOR_MAPPED_ADDRESS = 0x0020
_HEADER = struct.Struct("!HHI12s")


def is_stun(data: bytes) -> bool:
    return len(data) >= 20 and data[0] < 0x40 and data[4:8] == MAGIC_COOKIE.to_bytes(4, "big")


def binding_request() -> tuple[bytes, bytes]:
    """(transaction ID, the request datagram)."""
    txid = os.urandom(12)
    return txid, _HEADER.pack(BINDING_REQUEST, 0, MAGIC_COOKIE, txid)


Address = tuple[str, int]


def _address(value: bytes, xor: bool, txid: bytes) -> Address | None:
    if len(value) < 8:
        return None
    family, port = value[1], int.from_bytes(value[2:4], "big")
    raw = value[4:]
    if xor:
        port ^= MAGIC_COOKIE >> 16
        mask = MAGIC_COOKIE.to_bytes(4, "big") + txid
        raw = bytes(a ^ b for a, b in zip(raw, mask, strict=False))
    if family == 1 and len(raw) >= 4:
        return str(ipaddress.IPv4Address(raw[:4])), port
    if family == 2 and len(raw) >= 16:
        return str(ipaddress.IPv6Address(raw[:16])), port
    return None


def parse_binding_response(data: bytes) -> tuple[bytes, Address | None] | None:
    """(transaction ID, mapped address) of a Binding success response; None for anything
    else. The address is None when the response carries none."""
    if not is_stun(data):
        return None
    kind, length, _, txid = _HEADER.unpack_from(data)
    if kind != BINDING_SUCCESS:
        return None
    body = data[20 : 20 + length]
    found: Address | None = None
    pos = 0
    while pos + 4 <= len(body):
        attr, size = struct.unpack_from("!HH", body, pos)
        value = body[pos + 4 : pos + 4 + size]
        if attr == XOR_MAPPED_ADDRESS:
            return txid, _address(value, True, txid)
        if attr == MAPPED_ADDRESS:
            found = _address(value, False, txid)
        pos += 4 + (size + 3) // 4 * 4
    return txid, found
