"""The server-reflexive Binding client: retransmissions at 100/200/400 ms and a hard cap."""

from __future__ import annotations

from siperb import _core

MS = 1_000_000
SERVER = ("127.0.0.1", 3478)


def drain(client: _core.StunBindingClient) -> list[bytes]:
    return [t[1] for t in iter(client.poll_transmit, None)]


def test_retransmits_doubling_and_gives_up_at_the_cap() -> None:
    client = _core.StunBindingClient(rto_ms=100, cap_ms=1500)
    client.start(SERVER, 0)
    sent_at = []
    now = 0
    while client.state == "running":
        if drain(client):
            sent_at.append(now // MS)
        now = client.next_deadline()
        assert now < 10_000 * MS
        client.on_timeout(now)
    assert sent_at == [0, 100, 300, 700]
    assert client.state == "failed" and "1500 ms" in client.failure
    assert now == 1500 * MS  # never later than the cap
    assert client.next_deadline() == 2**63 - 1


def test_answer_gives_the_mapped_address_and_foreign_datagrams_are_not_taken() -> None:
    client = _core.StunBindingClient()
    client.start(SERVER, 0)
    (request,) = drain(client)
    m = _core.stun_parse(request)
    assert (m.method, m.cls) == (1, 0) and m.has_fingerprint
    wrong_tid = _core.StunBuilder(1, 2, _core.stun_random_transaction_id())
    wrong_tid.add_xor_address(0x0020, ("203.0.113.5", 1)).add_fingerprint()
    assert not client.on_datagram(wrong_tid.to_bytes(), SERVER, 1)
    answer = _core.StunBuilder(1, 2, m.transaction_id)
    answer.add_xor_address(0x0020, ("203.0.113.5", 40000)).add_fingerprint()
    assert not client.on_datagram(answer.to_bytes(), ("127.0.0.9", 3478), 1)  # not the server
    assert not client.on_datagram(b"\x80\x00rtp", SERVER, 1)
    assert client.state == "running"
    assert client.on_datagram(answer.to_bytes(), SERVER, 2 * MS)
    assert client.state == "done" and client.mapped == ("203.0.113.5", 40000)


def test_error_answer_fails_with_the_reason() -> None:
    client = _core.StunBindingClient()
    client.start(SERVER, 0)
    (request,) = drain(client)
    tid = _core.stun_parse(request).transaction_id
    err = _core.StunBuilder(1, 3, tid).add_error_code(400, "Bad Request").add_fingerprint()
    assert client.on_datagram(err.to_bytes(), SERVER, 1)
    assert client.state == "failed" and "400 Bad Request" in client.failure
