"""Cross-check of the STUN codec with an independent implementation: aioice (aiortc's ICE)."""

from __future__ import annotations

import pytest

from siperb import _core

stun = pytest.importorskip("aioice.stun")

KEY = b"0123456789abcdefghijkl"
PEER = ("192.0.2.33", 4242)
PEER6 = ("2001:db8::7", 7)


def test_aioice_reads_what_we_write() -> None:
    tid = _core.stun_random_transaction_id()
    b = _core.StunBuilder(0x001, 0, tid)
    b.add_bytes(0x0006, b"abcd:efgh").add_u32(0x0024, 1853824767)
    b.add_u64(0x802A, 0x1122334455667788).add_flag(0x0025)
    b.add_xor_address(0x0020, PEER).add_xor_address(0x0012, PEER6)
    b.add_integrity(KEY).add_fingerprint()
    m = stun.parse_message(b.to_bytes())
    assert m.message_method == stun.Method.BINDING and m.message_class == stun.Class.REQUEST
    assert m.transaction_id == tid
    assert m.attributes["USERNAME"] == "abcd:efgh"
    assert m.attributes["PRIORITY"] == 1853824767
    assert m.attributes["ICE-CONTROLLING"] == 0x1122334455667788
    assert "USE-CANDIDATE" in m.attributes
    assert m.attributes["XOR-MAPPED-ADDRESS"] == PEER
    assert m.attributes["XOR-PEER-ADDRESS"] == PEER6
    assert m.check_message_integrity(KEY)
    assert not m.check_message_integrity(b"other")


def test_aioice_reads_our_turn_messages() -> None:
    tid = _core.stun_random_transaction_id()
    b = _core.StunBuilder(0x003, 2, tid)
    b.add_xor_address(0x0016, ("127.0.0.1", 50001)).add_u32(0x000D, 600)
    b.add_channel_number(0x4001).add_bytes(0x0013, b"\x01\x02\x03").add_requested_transport()
    b.add_error_code(438, "Stale Nonce").add_bytes(0x0014, b"siperb.test")
    b.add_integrity(_core.stun_long_term_key("u", "siperb.test", "p")).add_fingerprint()
    m = stun.parse_message(b.to_bytes())
    assert m.message_method == stun.Method.ALLOCATE
    assert m.attributes["XOR-RELAYED-ADDRESS"] == ("127.0.0.1", 50001)
    assert m.attributes["LIFETIME"] == 600
    assert m.attributes["CHANNEL-NUMBER"] == 0x4001
    assert m.attributes["DATA"] == b"\x01\x02\x03"
    assert m.attributes["REQUESTED-TRANSPORT"] == 17 << 24
    assert m.attributes["ERROR-CODE"] == (438, "Stale Nonce")
    assert m.attributes["REALM"] == "siperb.test"
    assert m.check_message_integrity(_core.stun_long_term_key("u", "siperb.test", "p"))


def test_we_read_what_aioice_writes() -> None:
    m = stun.Message(stun.Method.BINDING, stun.Class.RESPONSE)
    m.attributes["XOR-MAPPED-ADDRESS"] = PEER6
    m.attributes["SOFTWARE"] = "aioice"
    m.add_message_integrity(KEY)  # adds FINGERPRINT too
    ours = _core.stun_parse(bytes(m))
    assert (ours.method, ours.cls) == (1, 2)
    assert ours.transaction_id == m.transaction_id
    assert ours.xor_mapped_address == PEER6
    assert ours.software == "aioice"
    assert ours.has_fingerprint and ours.check_integrity(KEY)

    req = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    req.attributes.update({"USERNAME": "x:y", "PRIORITY": 7, "ICE-CONTROLLED": 99})
    req.attributes["ERROR-CODE"] = (487, "Role Conflict")
    req.add_message_integrity(KEY)
    ours = _core.stun_parse(bytes(req))
    assert (ours.username, ours.priority, ours.ice_controlled) == ("x:y", 7, 99)
    assert ours.error_code == (487, "Role Conflict")
    assert ours.check_integrity(KEY)


def test_an_aioice_check_is_answered_by_our_agent() -> None:
    agent = _core.IceAgent(role="controlled", local_ufrag="ours", local_pwd="p" * 22)
    agent.add_host_candidate(("127.0.0.1", 5000))
    req = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    req.attributes.update(
        {
            "USERNAME": "ours:theirs",
            "PRIORITY": 1853824767,
            "ICE-CONTROLLING": 5,
            "USE-CANDIDATE": None,
        }
    )
    req.add_message_integrity(b"p" * 22)
    agent.on_stun(bytes(req), PEER, False, 0)
    out = agent.poll_transmit()
    assert out is not None and out[0] == PEER
    resp = stun.parse_message(out[1])
    assert resp.message_class == stun.Class.RESPONSE and resp.transaction_id == req.transaction_id
    assert resp.attributes["XOR-MAPPED-ADDRESS"] == PEER
    assert resp.check_message_integrity(b"p" * 22)
