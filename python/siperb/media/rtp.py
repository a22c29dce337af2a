"""RTP packets (RFC 3550), RFC 8285 header extensions, sequence arithmetic, receive statistics.

Parsing and building run in the native core; a malformed packet raises
:class:`siperb.errors.RtpError` whose ``field`` names what was wrong (``version``, ``padding``,
``csrc count``, ``extension length``, ``header`` for truncation).

>>> pkt = RtpPacket(payload_type=0, sequence_number=1, timestamp=160, payload=b"\\xff" * 160)
>>> RtpPacket.parse(bytes(pkt)).timestamp
160
"""

from __future__ import annotations

from typing import NamedTuple

from .._core import (
    ReceptionReport,
    RtpExtension,
    RtpPacket,
    RtpReceiverStats,
    SeqUnwrapper,
    TimestampUnwrapper,
    rtp_build_extension_elements,
    rtp_parse_extension_elements,
    rtp_peek,
    seq_diff,
    ts_diff,
)

ONE_BYTE_PROFILE = 0xBEDE
TWO_BYTE_PROFILE = 0x1000

Buffer = bytes | bytearray | memoryview


class RtpHeader(NamedTuple):
    """The fixed-header fields of a packet and where its payload lies in the datagram."""

    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    marker: bool
    payload_offset: int
    payload_length: int


def peek_header(data: bytes) -> RtpHeader:
    """Validate a datagram and return its header without copying the payload.

    Use ``memoryview(data)[h.payload_offset : h.payload_offset + h.payload_length]`` to reach
    the payload in place (the packet-forwarding and demultiplexing path).
    """
    return RtpHeader(*rtp_peek(data))


def parse_extension_elements(extension: RtpExtension) -> list[tuple[int, bytes]]:
    """The RFC 8285 elements (id, data) of a one-byte (0xBEDE) or two-byte (0x100X) block."""
    return rtp_parse_extension_elements(extension.profile, extension.data)


def build_extension_elements(
    elements: list[tuple[int, bytes]], *, two_byte: bool = False
) -> RtpExtension:
    """An RFC 8285 block, one-byte form when every id is 1-14 and every element 1-16 bytes."""
    return rtp_build_extension_elements(elements, two_byte)


def _ensure_bytes(data: Buffer) -> bytes:
    return data if isinstance(data, bytes) else bytes(data)


def parse(data: Buffer) -> RtpPacket:
    """Parse one RTP datagram (bytes, bytearray or memoryview)."""
    return RtpPacket.parse(_ensure_bytes(data))


__all__ = [
    "ONE_BYTE_PROFILE",
    "TWO_BYTE_PROFILE",
    "ReceptionReport",
    "RtpExtension",
    "RtpHeader",
    "RtpPacket",
    "RtpReceiverStats",
    "SeqUnwrapper",
    "TimestampUnwrapper",
    "build_extension_elements",
    "parse",
    "parse_extension_elements",
    "peek_header",
    "seq_diff",
    "ts_diff",
]
