"""A whole DTLS-SRTP handshake in memory, both ends, up to exported SRTP keys: two siperb
DtlsSessions against two pyOpenSSL connections (aiortc's DTLS layer, what a Python user
would pick). Certificates, contexts and sessions are made in the untimed setup of each round;
the timing is the handshake itself (ECDHE, ECDSA, the flights) and the key export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from siperb import _core

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))
pytest.importorskip("OpenSSL.SSL")
from test_dtls_pyopenssl import Peer

GROUP = "dtls handshake, both ends, in memory"
CLIENT_CERT = _core.DtlsCertificate.generate()
SERVER_CERT = _core.DtlsCertificate.generate()


def _siperb_pair() -> tuple[tuple[_core.DtlsSession, _core.DtlsSession], dict[str, Any]]:
    c = _core.DtlsSession(CLIENT_CERT, "client")
    s = _core.DtlsSession(SERVER_CERT, "server")
    c.set_remote_fingerprint("sha-256", SERVER_CERT.fingerprint)
    s.set_remote_fingerprint("sha-256", CLIENT_CERT.fingerprint)
    return (c, s), {}


def _siperb_handshake(c: _core.DtlsSession, s: _core.DtlsSession) -> None:
    s.start(0)
    c.start(0)
    for _ in range(10):
        moved = False
        while (d := c.poll_transmit()) is not None:
            s.on_datagram(d, 0)
            moved = True
        while (d := s.poll_transmit()) is not None:
            c.on_datagram(d, 0)
            moved = True
        if not moved:
            break
    assert c.srtp_keys() is not None and s.srtp_keys() is not None


def _pyopenssl_pair() -> tuple[tuple[Peer, Peer], dict[str, Any]]:
    profiles = b"SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
    return (Peer("client", profiles), Peer("server", profiles)), {}


def _pyopenssl_handshake(c: Peer, s: Peer) -> None:
    c.step()
    for _ in range(10):
        moved = False
        for src, dst in ((c, s), (s, c)):
            for d in src.datagrams():
                dst.conn.bio_write(d)
                moved = True
            dst.step()
        if not moved:
            break
    assert c.done and s.done
    for p in (c, s):
        p.conn.export_keying_material(b"EXTRACTOR-dtls_srtp", 56)


def test_siperb_handshake(benchmark: Any) -> None:
    benchmark.group = GROUP
    benchmark.extra_info["impl"] = "siperb"
    benchmark.pedantic(_siperb_handshake, setup=_siperb_pair, rounds=50)


def test_pyopenssl_handshake(benchmark: Any) -> None:
    benchmark.group = GROUP
    benchmark.extra_info["impl"] = "pyOpenSSL"
    benchmark.pedantic(_pyopenssl_handshake, setup=_pyopenssl_pair, rounds=50)


def _udp_handshake(c: _core.DtlsSession, s: _core.DtlsSession) -> None:
    """Both sessions on their own loopback UDP socket, one thread moving datagrams as the
    engine would: what the network and the kernel add to the in-memory handshake."""
    import selectors
    import socket
    import time

    socks = {
        c: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
        s: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
    }
    try:
        for sock in socks.values():
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
        peer = {c: socks[s].getsockname(), s: socks[c].getsockname()}
        sel = selectors.DefaultSelector()
        for sess, sock in socks.items():
            sel.register(sock, selectors.EVENT_READ, sess)
        now = time.monotonic_ns()
        s.start(now)
        c.start(now)
        end = time.monotonic() + 5
        while (c.state, s.state) != ("connected", "connected") and time.monotonic() < end:
            for sess, sock in socks.items():
                while (d := sess.poll_transmit()) is not None:
                    sock.sendto(d, peer[sess])
            for key, _ in sel.select(0.05):
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                key.data.on_datagram(data, time.monotonic_ns())
        sel.close()
        assert c.srtp_keys() is not None and s.srtp_keys() is not None
    finally:
        for sock in socks.values():
            sock.close()


def test_siperb_handshake_loopback_udp(benchmark: Any) -> None:
    benchmark.group = "dtls handshake over loopback UDP"
    benchmark.extra_info["impl"] = "siperb"
    benchmark.pedantic(_udp_handshake, setup=_siperb_pair, rounds=100)
    data = sorted(benchmark.stats.stats.data)
    benchmark.extra_info["p95_us"] = round(data[int(len(data) * 0.95) - 1] * 1e6, 1)
    print(
        f"\nloopback UDP DTLS handshake: median {benchmark.stats.stats.median * 1e3:.2f} ms, "
        f"p95 {benchmark.extra_info['p95_us'] / 1e3:.2f} ms over {len(data)}"
    )
