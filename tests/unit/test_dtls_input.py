"""Whatever the network sends a DtlsSession is counted and dropped, never raised: garbage,
truncated records, hellos for the other role, records after failure, too many datagrams
before start."""

from __future__ import annotations

import random

import pytest
from dtls_helpers import Pair

from siperb import _core


def test_garbage_and_truncated_records_are_dropped_and_the_handshake_survives() -> None:
    pair = Pair()
    pair.exchange_fingerprints()
    pair.server.start(0)
    pair.client.start(0)
    hello = pair.client.poll_transmit()
    assert hello is not None
    rng = random.Random(7)
    junk = [
        b"",
        b"\x16",
        hello[:12],
        hello[:-1],  # record length says more than the datagram holds
        hello + b"\x16\xfe",  # a second, truncated record header
        bytes([0x80]) + hello[1:],  # RTP's first byte
        bytes([0x16, 0x03, 0x03]) + hello[3:],  # TLS, not DTLS, version
        bytes(rng.getrandbits(8) for _ in range(300)),
    ]
    for j in junk:
        pair.server.on_datagram(j, 0)
    assert pair.server.stats()["dropped"] == len(junk)
    assert pair.server.poll_transmit() is None and pair.server.state == "connecting"
    pair.server.on_datagram(hello, 0)
    pair.pump(0)
    assert (pair.client.state, pair.server.state) == ("connected", "connected")
    # Random datagrams that look like DTLS records after the handshake: no crash, still up.
    for _ in range(200):
        body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 64)))
        d = (
            bytes([rng.choice([20, 21, 22, 23]), 0xFE, 0xFD])
            + bytes(8)
            + len(body).to_bytes(2, "big")
            + body
        )
        pair.client.on_datagram(d, 0)
    assert pair.client.state == "connected" and pair.client.srtp_keys() is not None


def test_client_hello_to_a_client_is_dropped() -> None:
    a = _core.DtlsSession(_core.DtlsCertificate.generate(), "client")
    b = _core.DtlsSession(_core.DtlsCertificate.generate(), "client")
    a.start(0)
    b.start(0)
    hello = a.poll_transmit()
    assert hello is not None
    b.on_datagram(hello, 0)
    assert b.stats()["dropped"] == 1 and b.state == "connecting"


def test_records_after_failure_are_dropped() -> None:
    s = _core.DtlsSession(_core.DtlsCertificate.generate(), "client", handshake_timeout_ms=1)
    s.start(0)
    s.on_timeout(10**9)
    assert s.state == "failed"
    other = _core.DtlsSession(_core.DtlsCertificate.generate(), "client")
    other.start(0)
    d = other.poll_transmit()
    assert d is not None
    before = s.stats()["dropped"]
    s.on_datagram(d, 0)
    assert s.stats()["dropped"] == before + 1


def test_datagrams_before_start_are_bounded() -> None:
    client = _core.DtlsSession(_core.DtlsCertificate.generate(), "client")
    client.start(0)
    hello = client.poll_transmit()
    assert hello is not None
    server = _core.DtlsSession(_core.DtlsCertificate.generate(), "server")
    for _ in range(100):
        server.on_datagram(hello, 0)
    st = server.stats()
    assert st["datagrams_in"] == 100 and st["dropped"] == 100 - 16
    server.start(0)
    assert server.poll_transmit() is not None


def test_application_data_is_not_delivered_anywhere() -> None:
    """Nothing but the handshake flows through DTLS in DTLS-SRTP; the counters show input."""
    pair = Pair()
    pair.exchange_fingerprints()
    pair.server.start(0)
    pair.client.start(0)
    pair.pump(0)
    st = pair.server.stats()
    assert st["datagrams_in"] >= 2 and st["datagrams_out"] >= 2 and st["retransmits"] == 0


def test_openssl_error_queue_is_left_empty() -> None:
    """A failed handshake leaves nothing in the thread's OpenSSL error queue, which the
    process shares with every other libssl user (Python's ssl module among them)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("crypto")
    if name is None:
        pytest.skip("libcrypto not found by ctypes")
    libcrypto = ctypes.CDLL(name)
    libcrypto.ERR_peek_error.restype = ctypes.c_ulong
    libcrypto.ERR_clear_error()
    pair = Pair()
    pair.client.set_remote_fingerprint("sha-256", _core.DtlsCertificate.generate().fingerprint)
    pair.server.set_remote_fingerprint("sha-256", pair.client_cert.fingerprint)
    pair.server.start(0)
    pair.client.start(0)
    pair.pump(0)
    assert pair.client.failure == "fingerprint mismatch"
    assert pair.server.state == "failed"
    assert libcrypto.ERR_peek_error() == 0
