"""RTP packet parsing/building (RFC 3550 5.1, RFC 8285) and sequence arithmetic."""

from __future__ import annotations

import struct

import pytest

from siperb.errors import RtpError
from siperb.media.rtp import (
    RtpExtension,
    RtpPacket,
    SeqUnwrapper,
    TimestampUnwrapper,
    build_extension_elements,
    parse,
    parse_extension_elements,
    peek_header,
    seq_diff,
    ts_diff,
)


def test_round_trip_all_fields() -> None:
    pkt = RtpPacket(
        payload_type=96,
        sequence_number=65535,
        timestamp=0xFFFFFFF0,
        ssrc=0xDEADBEEF,
        marker=True,
        payload=b"hello",
        csrc=[1, 2, 0xFFFFFFFF],
        extension=RtpExtension(0x1234, b"\x01\x02\x03\x04"),
        padding_size=4,
    )
    data = bytes(pkt)
    assert data == pkt.build()
    assert data[0] == 0x80 | 0x20 | 0x10 | 3
    assert data[1] == 0x80 | 96
    assert data[-1] == 4 and len(data) == 12 + 12 + 8 + 5 + 4
    back = RtpPacket.parse(data)
    assert (back.payload_type, back.sequence_number, back.timestamp, back.ssrc, back.marker) == (
        96,
        65535,
        0xFFFFFFF0,
        0xDEADBEEF,
        True,
    )
    assert back.csrc == [1, 2, 0xFFFFFFFF]
    assert back.extension == RtpExtension(0x1234, b"\x01\x02\x03\x04")
    assert back.payload == b"hello" and back.padding_size == 4
    assert bytes(back) == data


def test_minimal_packet_and_buffer_types() -> None:
    data = bytes(
        RtpPacket(payload_type=8, sequence_number=7, timestamp=160, ssrc=9, payload=b"\xd5" * 160)
    )
    assert len(data) == 172
    for buf in (data, bytearray(data), memoryview(data)):
        pkt = parse(buf)
        assert pkt.extension is None and pkt.csrc == [] and pkt.padding_size == 0
        assert pkt.payload == b"\xd5" * 160


def test_peek_header_is_zero_copy_offsets() -> None:
    data = bytes(
        RtpPacket(
            payload_type=0, sequence_number=3, ssrc=4, csrc=[5], payload=b"abc", padding_size=2
        )
    )
    h = peek_header(data)
    assert (h.payload_type, h.sequence_number, h.ssrc, h.marker) == (0, 3, 4, False)
    assert data[h.payload_offset : h.payload_offset + h.payload_length] == b"abc"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"\x80\x00\x00", "header"),
        (b"\x40" + b"\x00" * 11, "version"),
        (b"\x82" + b"\x00" * 11 + b"\x00\x00\x00\x01", "csrc count"),
        (b"\x90" + b"\x00" * 11 + b"\xbe\xde", "extension"),
        (b"\x90" + b"\x00" * 11 + b"\xbe\xde\x00\x02" + b"\x00" * 4, "extension length"),
        (b"\xa0" + b"\x00" * 11 + b"ab\x00", "padding"),
        (b"\xa0" + b"\x00" * 11 + b"ab\x04", "padding"),
        (b"\xa0" + b"\x00" * 11, "padding"),
    ],
)
def test_rejects_malformed(data: bytes, field: str) -> None:
    with pytest.raises(RtpError) as exc:
        RtpPacket.parse(data)
    assert exc.value.field == field
    assert exc.value.reason


def test_padding_count_equal_to_remaining_is_accepted() -> None:
    data = b"\xa0" + b"\x00" * 11 + b"ab\x03"
    pkt = RtpPacket.parse(data)
    assert pkt.payload == b"" and pkt.padding_size == 3


def test_build_rejects_unrepresentable() -> None:
    with pytest.raises(RtpError) as exc:
        RtpPacket(csrc=list(range(16))).build()
    assert exc.value.field == "csrc count"
    with pytest.raises(RtpError) as exc:
        RtpPacket(extension=RtpExtension(0xBEDE, b"\x10\x01")).build()
    assert exc.value.field == "extension length"
    with pytest.raises(RtpError):
        RtpPacket(payload_type=128).build()


def test_one_byte_extension_elements() -> None:
    # id 1 len 1, padding byte, id 2 len 3, then id 15 stops parsing.
    data = b"\x10\xaa\x00\x22\x01\x02\x03\xf0"
    assert parse_extension_elements(RtpExtension(0xBEDE, data)) == [
        (1, b"\xaa"),
        (2, b"\x01\x02\x03"),
    ]
    ext = build_extension_elements([(1, b"\xaa"), (14, b"x" * 16)])
    assert ext.profile == 0xBEDE and len(ext.data) % 4 == 0
    assert parse_extension_elements(ext) == [(1, b"\xaa"), (14, b"x" * 16)]


def test_two_byte_extension_elements() -> None:
    ext = build_extension_elements([(1, b""), (200, b"y" * 20)])
    assert ext.profile == 0x1000
    assert parse_extension_elements(ext) == [(1, b""), (200, b"y" * 20)]
    forced = build_extension_elements([(3, b"z")], two_byte=True)
    assert forced.profile == 0x1000 and forced.data[:3] == b"\x03\x01z"
    # appbits in the low nibble of the profile are allowed
    assert parse_extension_elements(RtpExtension(0x100F, b"\x05\x01q\x00")) == [(5, b"q")]
    pkt = RtpPacket.parse(bytes(RtpPacket(extension=ext)))
    assert parse_extension_elements(pkt.extension) == [(1, b""), (200, b"y" * 20)]


@pytest.mark.parametrize(
    ("profile", "data"),
    [(0xBEDE, b"\x13\x01"), (0x1000, b"\x01\x05ab\x00"), (0x1000, b"\x01"), (0x1234, b"\x00")],
)
def test_extension_element_errors(profile: int, data: bytes) -> None:
    with pytest.raises(RtpError):
        parse_extension_elements(RtpExtension(profile, data))


def test_extension_element_build_errors() -> None:
    with pytest.raises(RtpError):
        build_extension_elements([(0, b"a")])
    with pytest.raises(RtpError):
        build_extension_elements([(1, b"a" * 256)])


def test_seq_and_ts_arithmetic_wrap() -> None:
    assert seq_diff(0, 65535) == 1
    assert seq_diff(65535, 0) == -1
    assert seq_diff(100, 90) == 10
    assert ts_diff(10, 0xFFFFFFF0) == 26
    assert ts_diff(0xFFFFFFF0, 10) == -26


def test_unwrappers_extend_across_wrap_and_reorder() -> None:
    u = SeqUnwrapper()
    got = [u.unwrap(s) for s in (65534, 65535, 1, 0, 2, 65535)]
    assert got == [65534, 65535, 65537, 65536, 65538, 65535]
    t = TimestampUnwrapper()
    assert [t.unwrap(x) for x in (0xFFFFFF00, 0x100, 0xFFFFFFFF)] == [
        0xFFFFFF00,
        0x100000100,
        0xFFFFFFFF,
    ]


def test_struct_layout_matches_rfc3550() -> None:
    data = bytes(
        RtpPacket(payload_type=0, sequence_number=0x1234, timestamp=0x01020304, ssrc=0x0A0B0C0D)
    )
    assert struct.unpack("!BBHII", data) == (0x80, 0, 0x1234, 0x01020304, 0x0A0B0C0D)
