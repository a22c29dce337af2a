"""The TurnClient against a scripted server (the real one, coturn, is in tests/integration):
the long-term credential exchange byte by byte, Data indications, bounds and garbage."""

from __future__ import annotations

from siperb import _core

SERVER = ("127.0.0.1", 3478)
RELAYED = ("127.0.0.1", 50000)
MAPPED = ("127.0.0.1", 40000)
PEER = ("127.0.0.1", 41000)
KEY = _core.stun_long_term_key("u", "siperb.test", "p")


def one(turn: _core.TurnClient) -> _core.StunMessage:
    out = [m for m in iter(turn.poll_transmit, None)]
    assert len(out) == 1
    return _core.stun_parse(out[0])


def allocated() -> _core.TurnClient:
    turn = _core.TurnClient(SERVER, "u", "p", lifetime_s=600)
    turn.start(0)
    first = one(turn)
    assert (first.method, first.cls, first.requested_transport) == (3, 0, 17)
    assert first.username is None and first.lifetime == 600
    challenge = _core.StunBuilder(3, 3, first.transaction_id).add_error_code(401, "Unauthorized")
    challenge.add_bytes(0x0014, b"siperb.test").add_bytes(0x0015, b"nonce-1").add_fingerprint()
    assert turn.on_datagram(challenge.to_bytes(), 1) is None
    second = one(turn)
    assert (second.username, second.realm, second.nonce) == ("u", "siperb.test", "nonce-1")
    assert second.check_integrity(KEY) and second.transaction_id != first.transaction_id
    ok = _core.StunBuilder(3, 2, second.transaction_id)
    ok.add_xor_address(0x0016, RELAYED).add_xor_address(0x0020, MAPPED).add_u32(0x000D, 600)
    forged = _core.StunBuilder(3, 2, second.transaction_id).add_xor_address(0x0016, PEER)
    assert turn.on_datagram(forged.add_integrity(b"bad").to_bytes(), 2) is None
    assert turn.state == "allocating" and turn.stats()["dropped"] == 1
    assert turn.on_datagram(ok.add_integrity(KEY).add_fingerprint().to_bytes(), 2) is None
    assert turn.state == "allocated"
    assert (turn.relayed, turn.mapped) == (RELAYED, MAPPED)
    return turn


def test_long_term_credentials_and_the_refresh_deadline() -> None:
    turn = allocated()
    assert turn.next_deadline() == 2 + 540 * 1_000_000_000  # refreshed a minute early


def test_data_indication_and_channel_data_are_unwrapped() -> None:
    turn = allocated()
    turn.add_peer(PEER, True, 3)
    bind = one(turn)
    assert bind.method == 9 and bind.channel_number == 0x4000 and bind.address(0x0012) == PEER
    ind = _core.StunBuilder(7, 1, _core.stun_random_transaction_id())
    ind.add_xor_address(0x0012, PEER).add_bytes(0x0013, b"\x16dtls")
    assert turn.on_datagram(ind.to_bytes(), 4) == (b"\x16dtls", PEER)
    # Before the binding is confirmed, data goes in a Send indication...
    turn.send_to_peer(PEER, b"x", 4)
    send = one(turn)
    assert (send.method, send.cls, send.data, send.address(0x0012)) == (6, 1, b"x", PEER)
    # ...and ChannelData for an unbound channel is refused.
    assert turn.on_datagram(b"\x40\x00\x00\x01y", 5) is None
    ok = _core.StunBuilder(9, 2, bind.transaction_id).add_integrity(KEY).add_fingerprint()
    assert turn.on_datagram(ok.to_bytes(), 5) is None and turn.channel_bound(PEER)
    assert turn.on_datagram(b"\x40\x00\x00\x01y", 6) == (b"y", PEER)
    assert turn.on_datagram(b"\x40\x00\x00\x09short", 6) is None  # length past the end
    turn.send_to_peer(PEER, b"rtp", 6)
    assert [bytes(m) for m in iter(turn.poll_transmit, None)] == [b"\x40\x00\x00\x03rtp"]


def test_peers_are_bounded_and_garbage_is_counted() -> None:
    turn = allocated()
    base = turn.stats()["dropped"]
    for i in range(100):
        turn.add_peer((f"127.0.1.{i + 1}", 9), False, 3)
    assert turn.stats()["requests_sent"] == 2 + 64  # max_peers
    for junk in (b"", b"\x00\x01", b"\x00\x01\x00\x00" + b"\0" * 16, b"\xff" * 40):
        assert turn.on_datagram(junk, 4) is None
    assert turn.stats()["dropped"] == base + 36 + 4


def test_no_answer_fails_after_the_retransmissions() -> None:
    turn = _core.TurnClient(SERVER, "u", "p", rto_ms=100, max_transmissions=3)
    turn.start(0)
    sends = 0
    while turn.state == "allocating":
        sends += len([m for m in iter(turn.poll_transmit, None)])
        turn.on_timeout(turn.next_deadline())
    assert sends == 3 and turn.state == "failed" and "no answer" in turn.failure


def test_sending_to_an_unknown_peer_asks_for_its_permission() -> None:
    turn = allocated()
    turn.send_to_peer(PEER, b"check", 3)
    perm, send = (_core.stun_parse(m) for m in iter(turn.poll_transmit, None))
    assert (perm.method, perm.cls, perm.address(0x0012)) == (8, 0, PEER)
    assert perm.check_integrity(KEY)
    assert (send.method, send.cls, send.data) == (6, 1, b"check")
    ok = _core.StunBuilder(8, 2, perm.transaction_id).add_integrity(KEY).add_fingerprint()
    assert turn.on_datagram(ok.to_bytes(), 4) is None and turn.permitted(PEER)
