"""DtlsSession against DtlsSession in memory: the handshake in both start orders, both SRTP
profiles, keys that match crosswise, the MTU, loss and retransmission on the timer."""

from __future__ import annotations

import time

import pytest
from dtls_helpers import Pair, records

from siperb import _core

GCM = "AEAD_AES_128_GCM"
CM80 = "AES_CM_128_HMAC_SHA1_80"


def _connect(pair: Pair, server_first: bool = True) -> None:
    pair.exchange_fingerprints()
    first, second = (pair.server, pair.client) if server_first else (pair.client, pair.server)
    first.start(1_000)
    pair.pump(1_000)
    second.start(2_000)
    pair.pump(2_000)


@pytest.mark.parametrize("server_first", [True, False])
def test_handshake_connects_in_either_start_order(server_first: bool) -> None:
    pair = Pair()
    _connect(pair, server_first)
    assert (pair.client.state, pair.server.state) == ("connected", "connected")
    assert pair.client.failure == pair.server.failure == ""
    ck, sk = pair.client.srtp_keys(), pair.server.srtp_keys()
    assert ck is not None and sk is not None
    # Our sending key is the peer's receiving key (RFC 5764 4.2), and the two directions differ.
    assert ck[1] == sk[2] and ck[2] == sk[1] and ck[1] != ck[2]


def test_client_datagrams_before_server_start_are_kept() -> None:
    """A ClientHello that arrives before the server session is started (before the SDP answer
    is processed) is kept and answered on start."""
    pair = Pair()
    pair.exchange_fingerprints()
    pair.client.start(0)
    hello = pair.client.poll_transmit()
    assert hello is not None
    pair.server.on_datagram(hello, 0)
    assert pair.server.poll_transmit() is None and pair.server.state == "new"
    pair.server.start(0)
    pair.pump(0)
    assert (pair.client.state, pair.server.state) == ("connected", "connected")


@pytest.mark.parametrize(
    ("profiles", "suite", "key_len"),
    [([GCM, CM80], GCM, 28), ([CM80], CM80, 30), ([CM80, GCM], CM80, 30)],
)
def test_srtp_profile_and_key_lengths(profiles: list[str], suite: str, key_len: int) -> None:
    if GCM in profiles:
        assert _core.srtp_suite_supported(GCM)  # Debian's libsrtp2 must do GCM
    pair = Pair(profiles)
    _connect(pair)
    ck = pair.client.srtp_keys()
    assert ck is not None
    assert ck[0] == suite and len(ck[1]) == len(ck[2]) == key_len


def test_server_profile_choice_follows_client_offer_order_intersection() -> None:
    """A client offering only AES_CM gets AES_CM from a server that prefers GCM."""
    cc, sc = _core.DtlsCertificate.generate(), _core.DtlsCertificate.generate()
    pair = Pair()
    pair.client = _core.DtlsSession(cc, "client", srtp_profiles=[CM80])
    pair.server = _core.DtlsSession(sc, "server", srtp_profiles=[GCM, CM80])
    pair.client_cert, pair.server_cert = cc, sc
    _connect(pair)
    for s in (pair.client, pair.server):
        k = s.srtp_keys()
        assert k is not None and k[0] == CM80


def test_no_common_profile_fails_the_handshake() -> None:
    cc, sc = _core.DtlsCertificate.generate(), _core.DtlsCertificate.generate()
    pair = Pair()
    pair.client = _core.DtlsSession(cc, "client", srtp_profiles=[CM80])
    pair.server = _core.DtlsSession(sc, "server", srtp_profiles=[GCM])
    pair.client_cert, pair.server_cert = cc, sc
    _connect(pair)
    assert "failed" in (pair.client.state, pair.server.state)
    assert pair.client.srtp_keys() is None and pair.server.srtp_keys() is None


def test_every_datagram_is_whole_records_within_the_mtu() -> None:
    pair = Pair()
    _connect(pair)
    assert len(pair.sent) >= 4
    for _, d in pair.sent:
        assert len(d) <= 1200
        assert records(d)


def test_small_mtu_splits_the_flight() -> None:
    """At 300 bytes the server's flight (certificate and all) needs several datagrams, each
    within the limit, and the handshake still completes."""
    pair = Pair(mtu=300)
    _connect(pair)
    assert (pair.client.state, pair.server.state) == ("connected", "connected")
    server_sent = [d for role, d in pair.sent if role == "server"]
    assert len(server_sent) > 3
    assert all(len(d) <= 300 for _, d in pair.sent)
    for _, d in pair.sent:
        records(d)


def test_lost_first_flight_is_retransmitted_on_the_timer() -> None:
    pair = Pair(initial_timeout_ms=20)
    pair.exchange_fingerprints()
    t0 = time.monotonic_ns()
    pair.server.start(t0)
    pair.client.start(t0)
    assert pair.pump(t0, drop=lambda role, i, d: role == "client" and i == 0) == 1
    assert pair.server.state == "connecting" and pair.client.state == "connecting"
    deadline = pair.client.next_deadline()
    assert t0 < deadline <= t0 + 20_000_000
    assert pair.server.next_deadline() == 2**63 - 1  # heard nothing yet: nothing to time
    # OpenSSL checks expiry against its own clock: wait the real time (bounded), then fire.
    end = time.monotonic_ns() + 5_000_000_000
    while pair.client.stats()["retransmits"] == 0 and time.monotonic_ns() < end:
        time.sleep(0.005)
        now = time.monotonic_ns()
        if now >= pair.client.next_deadline():
            pair.client.on_timeout(now)
    assert pair.client.stats()["retransmits"] == 1
    pair.pump(time.monotonic_ns())
    assert (pair.client.state, pair.server.state) == ("connected", "connected")


def test_lost_last_flight_is_recovered() -> None:
    """The server's final flight (ChangeCipherSpec, Finished) is lost: the client's timer
    resends its flight, the server answers it again although it thinks it is done."""
    pair = Pair(initial_timeout_ms=20)
    pair.exchange_fingerprints()
    t0 = time.monotonic_ns()
    pair.server.start(t0)
    pair.client.start(t0)
    pair.pump(
        t0, drop=lambda role, i, d: role == "server" and any(e == 1 for _, e, _ in records(d))
    )
    assert pair.server.state == "connected" and pair.client.state == "connecting"
    end = time.monotonic_ns() + 5_000_000_000
    while pair.client.state != "connected" and time.monotonic_ns() < end:
        time.sleep(0.005)
        now = time.monotonic_ns()
        if now >= pair.client.next_deadline():
            pair.client.on_timeout(now)
        pair.pump(now)
    assert pair.client.state == "connected"
    assert pair.client.stats()["retransmits"] >= 1
    assert pair.client.srtp_keys() is not None


def test_handshake_gives_up_after_the_handshake_timeout() -> None:
    pair = Pair(handshake_timeout_ms=1000)
    pair.exchange_fingerprints()
    pair.client.start(0)
    pair.client.poll_transmit()  # lost: nobody answers
    pair.client.on_timeout(1_000_000_000)
    assert pair.client.state == "failed" and pair.client.failure == "timeout"
    assert pair.client.next_deadline() == 2**63 - 1


def test_close_notify_closes_the_peer() -> None:
    pair = Pair()
    _connect(pair)
    pair.client.close()
    assert pair.client.state == "closed" and pair.client.srtp_keys() is None
    pair.pump(3_000)
    assert pair.server.state == "closed" and pair.server.srtp_keys() is None


def test_server_waits_for_its_peer_as_long_as_the_call_rings() -> None:
    """The handshake time limit counts from the first datagram for a server: a server started
    with the offer and reached a minute later still connects."""
    pair = Pair(handshake_timeout_ms=1000)
    pair.exchange_fingerprints()
    pair.server.start(0)
    assert pair.server.next_deadline() == 2**63 - 1
    pair.server.on_timeout(60 * 10**9)
    assert pair.server.state == "connecting"
    pair.client.start(60 * 10**9)
    pair.pump(60 * 10**9)
    assert (pair.client.state, pair.server.state) == ("connected", "connected")


def test_server_gives_up_when_the_handshake_stalls_after_the_client_hello() -> None:
    pair = Pair(handshake_timeout_ms=1000)
    pair.exchange_fingerprints()
    pair.server.start(0)
    pair.client.start(5 * 10**9)
    hello = pair.client.poll_transmit()
    assert hello is not None
    pair.server.on_datagram(hello, 5 * 10**9)
    assert pair.server.next_deadline() <= 6 * 10**9
    pair.server.on_timeout(6 * 10**9)
    assert pair.server.state == "failed" and pair.server.failure == "timeout"
