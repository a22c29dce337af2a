"""The STUN codec (RFC 8489) against the RFC 5769 test vectors and its own round trips."""

from __future__ import annotations

import pytest

from siperb import _core
from siperb.errors import StunParseError

SHORT_TERM_PWD = b"VOkJxbRl1RmTxUk/WvJxBt"

# RFC 5769 2.1-2.4 (the published bytes).
SAMPLE_REQUEST = bytes.fromhex(
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74"
    "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020"
    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf"
)
SAMPLE_RESPONSE_V4 = bytes.fromhex(
    "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96"
)
SAMPLE_RESPONSE_V6 = bytes.fromhex(
    "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
    "00080014a382954e4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c"
)
SAMPLE_LONG_TERM = bytes.fromhex(
    "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b90000"
    "0015001c662f2f3439396b39353464364f4c33346f4c39465354767936347341"
    "0014000b6578616d706c652e6f726700"
    "00080014f67024656dd64a3e02b8e0712e85c9a28ca89666"
)
TID = bytes.fromhex("b7e7a701bc34d686fa87dfae")

USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0006, 0x0008, 0x0009
CHANNEL_NUMBER, LIFETIME, XOR_PEER, DATA = 0x000C, 0x000D, 0x0012, 0x0013
REALM, NONCE, XOR_RELAYED, REQUESTED_TRANSPORT = 0x0014, 0x0015, 0x0016, 0x0019
XOR_MAPPED, PRIORITY, USE_CANDIDATE = 0x0020, 0x0024, 0x0025
SOFTWARE, ICE_CONTROLLED, ICE_CONTROLLING = 0x8022, 0x8029, 0x802A


def test_rfc5769_sample_request() -> None:
    m = _core.stun_parse(SAMPLE_REQUEST)
    assert (m.method, m.cls) == (1, 0)
    assert m.transaction_id == TID
    assert m.software == "STUN test client"
    assert m.username == "evtj:h6vY"
    assert m.priority == 0x6E0001FF
    assert m.ice_controlled == 0x932FF9B151263B36
    assert m.ice_controlling is None
    assert m.has_fingerprint
    assert m.check_integrity(SHORT_TERM_PWD)
    assert not m.check_integrity(b"VOkJxbRl1RmTxUk/WvJxBu")


def test_rfc5769_sample_responses_v4_and_v6() -> None:
    v4 = _core.stun_parse(SAMPLE_RESPONSE_V4)
    assert (v4.method, v4.cls) == (1, 2)
    assert v4.software == "test vector"
    assert v4.xor_mapped_address == ("192.0.2.1", 32853)
    assert v4.check_integrity(SHORT_TERM_PWD)
    v6 = _core.stun_parse(SAMPLE_RESPONSE_V6)
    assert v6.xor_mapped_address == ("2001:db8:1234:5678:11:2233:4455:6677", 32853)
    assert v6.check_integrity(SHORT_TERM_PWD)


def test_rfc5769_long_term_request() -> None:
    m = _core.stun_parse(SAMPLE_LONG_TERM)
    user = "\u30de\u30c8\u30ea\u30c3\u30af\u30b9"
    assert m.username == user
    assert m.realm == "example.org"
    assert m.nonce == "f//499k954d6OL34oL9FSTvy64sA"
    key = _core.stun_long_term_key(user, "example.org", "TheMatrIX")
    assert key.hex() == "e8ca7ad59d5eb0518e312911d2dab2a9"
    assert m.check_integrity(key)
    assert not m.check_integrity(_core.stun_long_term_key(user, "example.org", "wrong"))


def test_builder_reproduces_the_rfc5769_request_byte_for_byte() -> None:
    b = _core.StunBuilder(1, 0, TID)
    b.add_bytes(SOFTWARE, b"STUN test client")
    b.add_u32(PRIORITY, 0x6E0001FF)
    b.add_u64(ICE_CONTROLLED, 0x932FF9B151263B36)
    b.add_bytes(USERNAME, b"evtj:h6vY")
    b.add_integrity(SHORT_TERM_PWD).add_fingerprint()
    out = b.to_bytes()
    # The RFC pads USERNAME with spaces, we pad with zeros (both allowed, and the padding is
    # under the HMAC): equal up to the padding, and valid.
    assert len(out) == len(SAMPLE_REQUEST)
    assert out[:73] == SAMPLE_REQUEST[:73]
    assert out[73:76] == b"\0\0\0"
    m = _core.stun_parse(out)
    assert m.check_integrity(SHORT_TERM_PWD) and m.has_fingerprint


def test_builder_reproduces_the_long_term_request_byte_for_byte() -> None:
    user = "\u30de\u30c8\u30ea\u30c3\u30af\u30b9"
    b = _core.StunBuilder(1, 0, bytes.fromhex("78ad3433c6ad72c029da412e"))
    b.add_bytes(USERNAME, user.encode())
    b.add_bytes(NONCE, b"f//499k954d6OL34oL9FSTvy64sA")
    b.add_bytes(REALM, b"example.org")
    b.add_integrity(_core.stun_long_term_key(user, "example.org", "TheMatrIX"))
    assert b.to_bytes() == SAMPLE_LONG_TERM


def test_every_turn_and_ice_attribute_round_trips() -> None:
    tid = _core.stun_random_transaction_id()
    b = _core.StunBuilder(0x003, 2, tid)
    b.add_xor_address(XOR_RELAYED, ("127.0.0.1", 50000))
    b.add_xor_address(XOR_MAPPED, ("::1", 4000))
    b.add_xor_address(XOR_PEER, ("192.0.2.7", 9))
    b.add_address(0x0001, ("198.51.100.1", 7))
    b.add_u32(LIFETIME, 600).add_channel_number(0x4001).add_requested_transport()
    b.add_bytes(DATA, b"\x00\x01payload").add_flag(USE_CANDIDATE).add_u64(ICE_CONTROLLING, 5)
    b.add_bytes(REALM, b"siperb.test").add_bytes(NONCE, b"abc")
    b.add_integrity(b"k").add_integrity_sha256(b"k").add_fingerprint()
    m = _core.stun_parse(b.to_bytes())
    assert (m.method, m.cls) == (3, 2)
    assert m.address(XOR_RELAYED) == ("127.0.0.1", 50000)
    assert m.xor_mapped_address == ("::1", 4000)
    assert m.address(XOR_PEER) == ("192.0.2.7", 9)
    assert m.mapped_address == ("198.51.100.1", 7)
    assert (m.lifetime, m.channel_number, m.requested_transport) == (600, 0x4001, 17)
    assert m.data == b"\x00\x01payload" and m.use_candidate and m.ice_controlling == 5
    assert (m.realm, m.nonce) == ("siperb.test", "abc")
    assert m.check_integrity(b"k") and m.check_integrity_sha256(b"k")
    assert not m.check_integrity_sha256(b"x")


def test_error_code_round_trip() -> None:
    b = _core.StunBuilder(1, 3, _core.stun_random_transaction_id())
    b.add_error_code(487, "Role Conflict").add_fingerprint()
    assert _core.stun_parse(b.to_bytes()).error_code == (487, "Role Conflict")


def test_unknown_comprehension_required_attributes_are_reported() -> None:
    b = _core.StunBuilder(1, 0, _core.stun_random_transaction_id())
    b.add_bytes(0x7777, b"x").add_bytes(0xC001, b"optional")
    m = _core.stun_parse(b.to_bytes())
    assert m.unknown_required == [0x7777]


def _tampered(data: bytes, index: int, value: int) -> bytes:
    out = bytearray(data)
    out[index] = value
    return bytes(out)


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (b"\x00\x01\x00", "header", "shorter than 20"),
        (_tampered(SAMPLE_REQUEST, 0, 0x80), "header", "first two bits"),
        (_tampered(SAMPLE_REQUEST, 4, 0), "header", "magic cookie"),
        (_tampered(SAMPLE_REQUEST, 3, 0x59), "header", "multiple of 4"),
        (SAMPLE_REQUEST + b"\0\0\0\0", "header", "does not match"),
        (_tampered(SAMPLE_REQUEST, len(SAMPLE_REQUEST) - 1, 0), "FINGERPRINT", "CRC-32"),
        (_tampered(SAMPLE_REQUEST, 23, 0xFF), "SOFTWARE", "runs past"),
        (_tampered(SAMPLE_RESPONSE_V4, 41, 3), "XOR-MAPPED-ADDRESS", "address family"),
        (_tampered(SAMPLE_REQUEST, 43, 5), "PRIORITY", "expected 4"),
    ],
)
def test_malformed_input_names_field_and_reason(data: bytes, field: str, reason: str) -> None:
    with pytest.raises(StunParseError) as e:
        _core.stun_parse(data)
    assert e.value.field == field
    assert reason in str(e.value.reason)


def test_crc32_is_the_ieee_polynomial() -> None:
    import zlib

    for sample in (b"", b"a", SAMPLE_REQUEST):
        assert _core.stun_crc32(sample) == zlib.crc32(sample)
