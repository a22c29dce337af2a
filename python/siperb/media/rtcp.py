"""RTCP (RFC 3550 section 6): SR, RR, SDES, BYE, APP, compound packets, RTT and NTP time.

``parse_compound`` applies the RFC 3550 A.2 validity checks by default (version 2, first packet
SR or RR, lengths adding up, padding only at the end) and raises
:class:`siperb.errors.RtpError` naming the failed check; ``strict=False`` accepts reduced-size
RTCP (RFC 5506). Packet types other than SR/RR/SDES/BYE/APP come back as :class:`RtcpUnknown`.
"""

from __future__ import annotations

import time

from .._core import (
    RtcpApp,
    RtcpBye,
    RtcpReceiverReport,
    RtcpReportBlock,
    RtcpSdes,
    RtcpSdesChunk,
    RtcpSdesItem,
    RtcpSenderReport,
    RtcpUnknown,
    ntp_from_unix,
    ntp_middle32,
    ntp_to_unix,
    rtcp_build_compound,
    rtcp_parse_compound,
    rtcp_round_trip_time,
)

RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpApp | RtcpUnknown

SDES_CNAME, SDES_NAME, SDES_EMAIL, SDES_PHONE, SDES_LOC, SDES_TOOL, SDES_NOTE, SDES_PRIV = range(
    1, 9
)


def parse_compound(data: bytes, *, strict: bool = True) -> list[RtcpPacket]:
    """Parse a compound RTCP packet into its packets, in order."""
    return rtcp_parse_compound(bytes(data), strict)


def build_compound(packets: list[RtcpPacket]) -> bytes:
    """Serialise packets into one compound packet (lengths and padding computed)."""
    return rtcp_build_compound(packets)


def round_trip_time(block: RtcpReportBlock, arrival_ntp: int) -> float | None:
    """RTT in seconds (A - LSR - DLSR) for a report block that arrived at NTP time arrival_ntp.

    None when the block has no LSR (the peer has not received a sender report yet).
    """
    return rtcp_round_trip_time(block, arrival_ntp)


def ntp_now() -> int:
    """The current wall-clock time as a 64-bit NTP timestamp."""
    return ntp_from_unix(time.time())


def cname_of(packets: list[RtcpPacket], ssrc: int) -> bytes | None:
    """The CNAME an SDES packet of the compound gives for ssrc, if any."""
    for pkt in packets:
        if isinstance(pkt, RtcpSdes):
            for chunk in pkt.chunks:
                if chunk.ssrc == ssrc:
                    for item in chunk.items:
                        if item.type == SDES_CNAME:
                            return item.value
    return None


__all__ = [
    "SDES_CNAME",
    "SDES_EMAIL",
    "SDES_LOC",
    "SDES_NAME",
    "SDES_NOTE",
    "SDES_PHONE",
    "SDES_PRIV",
    "SDES_TOOL",
    "RtcpApp",
    "RtcpBye",
    "RtcpPacket",
    "RtcpReceiverReport",
    "RtcpReportBlock",
    "RtcpSdes",
    "RtcpSdesChunk",
    "RtcpSdesItem",
    "RtcpSenderReport",
    "RtcpUnknown",
    "build_compound",
    "cname_of",
    "ntp_from_unix",
    "ntp_middle32",
    "ntp_now",
    "ntp_to_unix",
    "parse_compound",
    "round_trip_time",
]
