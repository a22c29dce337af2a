"""RTCP (RFC 3550 section 6) compound packets, validation, RTT and NTP helpers."""

from __future__ import annotations

import struct

import pytest

from siperb.errors import RtpError
from siperb.media.rtcp import (
    SDES_CNAME,
    SDES_TOOL,
    RtcpApp,
    RtcpBye,
    RtcpReceiverReport,
    RtcpReportBlock,
    RtcpSdes,
    RtcpSdesChunk,
    RtcpSdesItem,
    RtcpSenderReport,
    RtcpUnknown,
    build_compound,
    cname_of,
    ntp_from_unix,
    ntp_middle32,
    ntp_to_unix,
    parse_compound,
    round_trip_time,
)


def block(ssrc: int = 0x22, lost: int = -3) -> RtcpReportBlock:
    return RtcpReportBlock(ssrc, 64, lost, 70000, 12, 0x12345678, 0x00018000)


def test_sr_sdes_bye_app_round_trip() -> None:
    packets = [
        RtcpSenderReport(0x11, 0x0102030405060708, 160, 10, 1600, [block(), block(0x33, 5)]),
        RtcpSdes(
            [
                RtcpSdesChunk(
                    0x11,
                    [RtcpSdesItem(SDES_CNAME, "alice@host"), RtcpSdesItem(SDES_TOOL, "siperb")],
                )
            ]
        ),
        RtcpApp(3, 0x11, "TEST", b"\x00\x01\x02\x03"),
        RtcpBye([0x11, 0x44], "shutting down"),
    ]
    data = build_compound(packets)
    assert len(data) % 4 == 0
    back = parse_compound(data)
    assert [type(p) for p in back] == [RtcpSenderReport, RtcpSdes, RtcpApp, RtcpBye]
    sr = back[0]
    assert (sr.ssrc, sr.ntp_timestamp, sr.rtp_timestamp, sr.packet_count, sr.octet_count) == (
        0x11,
        0x0102030405060708,
        160,
        10,
        1600,
    )
    rb = sr.reports[0]
    assert (rb.ssrc, rb.fraction_lost, rb.cumulative_lost, rb.extended_highest_seq) == (
        0x22,
        64,
        -3,
        70000,
    )
    assert (rb.jitter, rb.lsr, rb.dlsr) == (12, 0x12345678, 0x00018000)
    assert sr.reports[1].cumulative_lost == 5
    assert [(i.type, i.value) for i in back[1].chunks[0].items] == [
        (1, b"alice@host"),
        (6, b"siperb"),
    ]
    assert cname_of(back, 0x11) == b"alice@host" and cname_of(back, 0x99) is None
    assert (back[2].subtype, back[2].name, back[2].data) == (3, "TEST", b"\x00\x01\x02\x03")
    assert back[3].sources == [0x11, 0x44] and back[3].reason == b"shutting down"
    assert build_compound(back) == data


def test_rr_wire_layout() -> None:
    data = build_compound([RtcpReceiverReport(0xAABBCCDD, [block()])])
    assert data[0] == 0x81 and data[1] == 201
    assert struct.unpack("!H", data[2:4])[0] == len(data) // 4 - 1 == 7
    assert data[12] == 64 and data[13:16] == b"\xff\xff\xfd"  # -3 as 24-bit two's complement


def test_sdes_chunk_padding_and_multiple_chunks() -> None:
    sdes = RtcpSdes(
        [RtcpSdesChunk(1, [RtcpSdesItem(1, "ab")]), RtcpSdesChunk(2, [RtcpSdesItem(1, "abcd")])]
    )
    data = build_compound([RtcpReceiverReport(1), sdes])
    back = parse_compound(data)[1]
    assert [(c.ssrc, c.items[0].value) for c in back.chunks] == [(1, b"ab"), (2, b"abcd")]


def test_bye_without_reason_and_unknown_type() -> None:
    data = build_compound([RtcpReceiverReport(1), RtcpBye([1]), RtcpUnknown(205, 1, b"\x00" * 8)])
    _rr, bye, fb = parse_compound(data)
    assert bye.reason is None and bye.sources == [1]
    assert (fb.packet_type, fb.count, fb.body) == (205, 1, b"\x00" * 8)


def test_strict_requires_sr_or_rr_first() -> None:
    data = build_compound([RtcpBye([1])])
    with pytest.raises(RtpError) as exc:
        parse_compound(data)
    assert exc.value.field == "packet type"
    assert isinstance(parse_compound(data, strict=False)[0], RtcpBye)


def rr_bytes() -> bytes:
    return build_compound([RtcpReceiverReport(1, [block()])])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"\x80\xc9", "header"),
        (b"\x40" + rr_bytes()[1:], "version"),
        (rr_bytes()[:-4], "length"),
        (rr_bytes() + b"\x80", "length"),
        (b"\x81\xc9\x00\x01\x00\x00\x00\x01", "RR"),
        (b"\x80\xc8\x00\x01\x00\x00\x00\x01", "SR"),
        (rr_bytes() + b"\x81\xca\x00\x01\x00\x00\x00\x01", "SDES"),
        (rr_bytes() + b"\x82\xcb\x00\x01\x00\x00\x00\x01", "BYE"),
        (rr_bytes() + b"\x80\xcc\x00\x01\x00\x00\x00\x01", "APP"),
    ],
)
def test_rejects_inconsistent(data: bytes, field: str) -> None:
    with pytest.raises(RtpError) as exc:
        parse_compound(data)
    assert exc.value.field == field


def test_padding_rules() -> None:
    rr = rr_bytes()
    padded = bytearray(rr + b"\x00\x00\x00\x04")
    padded[0] |= 0x20
    padded[2:4] = struct.pack("!H", len(padded) // 4 - 1)
    assert len(parse_compound(bytes(padded))[0].reports) == 1
    # padding on a packet that is not the last one
    with pytest.raises(RtpError) as exc:
        parse_compound(bytes(padded) + build_compound([RtcpBye([1])]))
    assert exc.value.field == "padding"
    bad = bytearray(padded)
    bad[-1] = 0
    with pytest.raises(RtpError):
        parse_compound(bytes(bad))


def test_build_validation() -> None:
    with pytest.raises(RtpError):
        build_compound([RtcpApp(0, 1, "TOOLONG", b"")])
    with pytest.raises(RtpError):
        build_compound([RtcpReceiverReport(1, [block()] * 32)])
    with pytest.raises(RtpError):
        build_compound([RtcpBye([1], "x" * 256)])


def test_cumulative_lost_clamped_to_24_bits() -> None:
    data = build_compound([RtcpReceiverReport(1, [block(lost=10_000_000)])])
    assert parse_compound(data)[0].reports[0].cumulative_lost == 0x7FFFFF


def test_ntp_helpers() -> None:
    ntp = ntp_from_unix(1_700_000_000.25)
    assert ntp >> 32 == 1_700_000_000 + 2_208_988_800
    assert (ntp & 0xFFFFFFFF) == 1 << 30
    assert abs(ntp_to_unix(ntp) - 1_700_000_000.25) < 1e-6
    assert ntp_middle32(0x1122334455667788) == 0x33445566


def test_round_trip_time_from_lsr_dlsr() -> None:
    # Example of RFC 3550 6.4.1: A=0xb710:8000 (46864.500 s), LSR=0xb705:2000, DLSR=0x0005:4000
    sr_sent = 0xB7052000
    b = RtcpReportBlock(1, 0, 0, 0, 0, sr_sent, 0x00054000)
    arrival = 0xB7108000 << 16
    rtt = round_trip_time(b, arrival)
    assert rtt is not None and abs(rtt - 6.125) < 1e-9
    assert round_trip_time(RtcpReportBlock(1, 0, 0, 0, 0, 0, 0), arrival) is None
