"""The sans-IO STUN Binding client, TurnClient and IceAgent against a real coturn on loopback,
driven from Python through the bindings with real UDP sockets."""

from __future__ import annotations

import os
import select
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from peers.coturn import Coturn, start_coturn
from siperb import _core

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    if shutil.which("turnserver", path="/usr/bin:/usr/sbin") is None:
        pytest.skip("turnserver not installed (Debian package coturn; scripts/bootstrap.sh)")
    server = start_coturn(tmp_path_factory.mktemp("coturn"))
    try:
        yield server
    finally:
        server.stop()


def udp_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setblocking(False)
    return s


def now_ns() -> int:
    return time.monotonic_ns()


def pump_turn(
    turn: _core.TurnClient,
    sock: socket.socket,
    until: Callable[[], bool],
    timeout: float = 5.0,
    received: list[tuple[bytes, tuple[str, int]]] | None = None,
    clock: Callable[[], int] = time.monotonic_ns,
) -> bool:
    """Runs the TurnClient on `sock` (sends, receives, timers) until `until()` or the timeout.
    `clock` is the client's notion of now (a shifted clock makes hours pass in a test)."""
    end = time.monotonic() + timeout
    while True:
        while (out := turn.poll_transmit()) is not None:
            sock.sendto(out, turn.server)
        if until():
            return True
        left = end - time.monotonic()
        if left <= 0:
            return False
        wait = min(left, max(0.0, (turn.next_deadline() - clock()) / 1e9), 0.05)
        if select.select([sock], [], [], wait)[0]:
            data, src = sock.recvfrom(65536)
            if src == turn.server:
                got = turn.on_datagram(data, clock())
                if got is not None and received is not None:
                    received.append(got)
        if turn.next_deadline() <= clock():
            turn.on_timeout(clock())


def recv_within(sock: socket.socket, timeout: float) -> tuple[bytes, tuple[str, int]] | None:
    if select.select([sock], [], [], timeout)[0]:
        data, src = sock.recvfrom(65536)
        return data, src
    return None


def test_stun_binding_client_learns_the_mapped_address(coturn: Coturn) -> None:
    sock = udp_socket()
    client = _core.StunBindingClient(rto_ms=100, cap_ms=2000)
    client.start(coturn.address, now_ns())
    end = time.monotonic() + 5
    while client.state == "running" and time.monotonic() < end:
        while (t := client.poll_transmit()) is not None:
            sock.sendto(t[1], t[0])
        got = recv_within(sock, 0.05)
        if got is not None:
            assert client.on_datagram(got[0], got[1], now_ns())
        if client.next_deadline() <= now_ns():
            client.on_timeout(now_ns())
    assert client.state == "done", client.failure
    assert client.mapped == sock.getsockname()
    sock.close()


def allocate(coturn: Coturn, password: str | None = None) -> tuple[_core.TurnClient, socket.socket]:
    sock = udp_socket()
    turn = _core.TurnClient(
        coturn.address, coturn.user, password or coturn.password, lifetime_s=300
    )
    turn.start(now_ns())
    pump_turn(turn, sock, lambda: turn.state in ("allocated", "failed"))
    return turn, sock


def test_allocation_with_long_term_credentials(coturn: Coturn) -> None:
    turn, sock = allocate(coturn)
    assert turn.state == "allocated", turn.failure
    relayed = turn.relayed
    assert relayed is not None and relayed[0] == "127.0.0.1" and relayed[1] != coturn.port
    assert turn.mapped == sock.getsockname()
    assert turn.stats()["responses_received"] >= 2  # the 401 challenge, then the success
    turn.close(now_ns())
    pump_turn(turn, sock, lambda: False, timeout=0.3)
    assert turn.state == "closed"
    sock.close()


def test_wrong_password_fails_with_401(coturn: Coturn) -> None:
    turn, sock = allocate(coturn, password="not-the-password")
    assert turn.state == "failed"
    assert "401" in turn.failure
    sock.close()


def test_data_relayed_by_send_indication_and_by_channel(coturn: Coturn) -> None:
    turn, sock = allocate(coturn)
    assert turn.state == "allocated", turn.failure
    relayed = turn.relayed
    assert relayed is not None
    peer = udp_socket()
    peer_addr = peer.getsockname()

    # Permission, then data both ways in Send/Data indications.
    turn.add_peer(peer_addr, False, now_ns())
    assert pump_turn(turn, sock, lambda: turn.permitted(peer_addr))
    turn.send_to_peer(peer_addr, b"hello via send", now_ns())
    pump_turn(turn, sock, lambda: False, timeout=0.05)
    got = recv_within(peer, 2.0)
    assert got == (b"hello via send", relayed)
    received: list[tuple[bytes, tuple[str, int]]] = []
    peer.sendto(b"reply via data", relayed)
    assert pump_turn(turn, sock, lambda: bool(received), received=received)
    assert received == [(b"reply via data", peer_addr)]

    # A channel: ChannelData both ways (first byte 0x40..0x4F on the client's socket).
    turn.add_peer(peer_addr, True, now_ns())
    assert pump_turn(turn, sock, lambda: turn.channel_bound(peer_addr))
    turn.send_to_peer(peer_addr, b"\x80media-over-channel", now_ns())
    sent: list[bytes] = []
    while (out := turn.poll_transmit()) is not None:
        sent.append(out)
        sock.sendto(out, turn.server)
    assert sent and 0x40 <= sent[0][0] <= 0x4F
    assert recv_within(peer, 2.0) == (b"\x80media-over-channel", relayed)
    received.clear()
    peer.sendto(b"\x80media-back", relayed)
    assert pump_turn(turn, sock, lambda: bool(received), received=received)
    assert received == [(b"\x80media-back", peer_addr)]
    assert turn.stats()["data_in"] == 2 and turn.stats()["data_out"] == 2

    # Deallocation: the relayed address stops forwarding (coturn drops the session on its next
    # timer tick, so allow a few seconds).
    turn.close(now_ns())
    pump_turn(turn, sock, lambda: False, timeout=0.3)
    assert turn.state == "closed"
    end = time.monotonic() + 5
    forwarded = True
    while forwarded and time.monotonic() < end:
        peer.sendto(b"after close", relayed)
        forwarded = recv_within(sock, 0.3) is not None
    assert not forwarded
    sock.close()
    peer.close()


def test_refreshes_of_allocation_permission_and_channel(coturn: Coturn) -> None:
    """Ten minutes pass on the client's clock: it refreshes the allocation (before its
    lifetime ends), the permission (every 4 min) and the channel (every 9 min), and coturn
    accepts each; data still flows through the channel afterwards."""
    turn, sock = allocate(coturn)
    assert turn.state == "allocated", turn.failure
    relayed = turn.relayed
    assert relayed is not None
    peer = udp_socket()
    peer_addr = peer.getsockname()
    turn.add_peer(peer_addr, True, now_ns())
    assert pump_turn(turn, sock, lambda: turn.channel_bound(peer_addr))
    before = turn.stats()
    shift = 0

    def shifted() -> int:
        return time.monotonic_ns() + shift

    def all_answered() -> bool:
        st = turn.stats()
        return st["responses_received"] - before["responses_received"] == (
            st["requests_sent"] - before["requests_sent"]
        )

    for minutes in (4, 8, 10):
        shift = minutes * 60 * 1_000_000_000
        sent = turn.stats()["requests_sent"]
        turn.on_timeout(shifted())
        assert turn.stats()["requests_sent"] > sent  # a refresh was due
        assert pump_turn(turn, sock, all_answered, clock=shifted)
        assert turn.state == "allocated" and turn.failure == ""
    assert turn.stats()["requests_sent"] - before["requests_sent"] >= 4
    turn.send_to_peer(peer_addr, b"still here", shifted())
    pump_turn(turn, sock, lambda: False, timeout=0.05, clock=shifted)
    assert recv_within(peer, 2.0) == (b"still here", relayed)
    turn.close(shifted())
    pump_turn(turn, sock, lambda: False, timeout=0.2, clock=shifted)
    sock.close()
    peer.close()


def test_stale_nonce_438_is_retried_with_the_new_nonce(tmp_path: Path) -> None:
    server = start_coturn(tmp_path / "stale", extra=["--stale-nonce=1"])
    try:
        turn, sock = allocate(server)
        assert turn.state == "allocated", turn.failure
        time.sleep(2.1)  # the nonce goes stale on the server
        peer = udp_socket()
        turn.add_peer(peer.getsockname(), False, now_ns())
        assert pump_turn(turn, sock, lambda: turn.permitted(peer.getsockname()))
        assert turn.failure == ""
        log = server.process.log_text()
        assert "438" in log
        turn.close(now_ns())
        pump_turn(turn, sock, lambda: False, timeout=0.2)
        sock.close()
        peer.close()
    finally:
        server.stop()


def test_ice_connects_through_the_relay(coturn: Coturn) -> None:
    """Agent A offers only its relayed candidate: every check and answer crosses coturn."""
    turn, sock_a = allocate(coturn)
    assert turn.state == "allocated", turn.failure
    relayed = turn.relayed
    assert relayed is not None
    sock_b = udp_socket()
    b_addr = sock_b.getsockname()
    a = _core.IceAgent(role="controlling")
    b = _core.IceAgent(role="controlled")
    a.add_relayed(relayed, sock_a.getsockname())
    b.add_host_candidate(b_addr)
    a.set_remote_credentials(b.local_ufrag, b.local_pwd, now_ns())
    b.set_remote_credentials(a.local_ufrag, a.local_pwd, now_ns())
    for c in a.local_candidates():
        b.add_remote_candidate(c, now_ns())
    for c in b.local_candidates():
        a.add_remote_candidate(c, now_ns())
        turn.add_peer(c.address, True, now_ns())
    pump_turn(turn, sock_a, lambda: turn.permitted(b_addr))
    a.start(now_ns())
    b.start(now_ns())
    end = time.monotonic() + 10
    while time.monotonic() < end and not (a.state == b.state == "completed"):
        while (t := a.poll_transmit()) is not None:
            assert t[2], "A has only a relayed candidate: everything it sends is relayed"
            turn.send_to_peer(t[0], t[1], now_ns())
        while (out := turn.poll_transmit()) is not None:
            sock_a.sendto(out, turn.server)
        while (t := b.poll_transmit()) is not None:
            sock_b.sendto(t[1], t[0])
        ready = select.select([sock_a, sock_b], [], [], 0.01)[0]
        if sock_a in ready:
            data, src = sock_a.recvfrom(65536)
            got = turn.on_datagram(data, now_ns())
            if got is not None:
                a.on_stun(got[0], got[1], True, now_ns())
        if sock_b in ready:
            data, src = sock_b.recvfrom(65536)
            b.on_stun(data, src, False, now_ns())
        for x in (a, b, turn):
            if x.next_deadline() <= now_ns():
                x.on_timeout(now_ns())
    assert a.state == "completed" and b.state == "completed"
    assert a.selected_remote() == b_addr and a.selected_is_relayed
    assert b.selected_remote() == relayed
    turn.close(now_ns())
    while (out := turn.poll_transmit()) is not None:
        sock_a.sendto(out, turn.server)
    sock_a.close()
    sock_b.close()


def test_coturn_fixture_stops_by_pid(tmp_path: Path) -> None:
    server = start_coturn(tmp_path / "own")
    pid = server.process.pid
    assert server.process.alive()
    server.stop()
    assert not server.process.alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
