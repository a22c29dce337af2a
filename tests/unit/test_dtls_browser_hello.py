"""What a browser sends today: Chromium's DTLS ClientHello offers DTLS 1.3 beside 1.2 and
carries a hybrid post-quantum key share (X25519MLKEM768, 1216 bytes), so it is larger than
one datagram and arrives as several handshake fragments. No Python DTLS stack produces such a
hello, so it is built here byte by byte (RFC 6347 4.2.2 fragments, RFC 8446 4.2 extensions);
the server must reassemble it, in any order, and answer with a DTLS 1.2 ServerHello."""

from __future__ import annotations

import random

import pytest
from dtls_helpers import records

from siperb import _core

X25519MLKEM768 = 0x11EC


def _u16(v: int) -> bytes:
    return v.to_bytes(2, "big")


def _vec16(b: bytes) -> bytes:
    return _u16(len(b)) + b


def _ext(kind: int, body: bytes) -> bytes:
    return _u16(kind) + _vec16(body)


CHROMIUM_GROUPS = (X25519MLKEM768, 0x001D, 0x0017, 0x0018)


def browser_client_hello(rng: random.Random, groups: tuple[int, ...] = CHROMIUM_GROUPS) -> bytes:
    """The body of a ClientHello shaped like Chromium's (2025+) for WebRTC."""
    suites = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xCCA9, 0xCCA8, 0xC009, 0xC013]
    shares = (
        _u16(X25519MLKEM768)
        + _vec16(rng.randbytes(1216))
        + _u16(0x001D)
        + _vec16(rng.randbytes(32))
    )
    sigalgs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
    exts = b"".join(
        [
            _ext(0x002B, bytes([4]) + b"\xfe\xfc\xfe\xfd"),  # supported_versions: DTLS 1.3, 1.2
            _ext(0x000A, _vec16(b"".join(_u16(g) for g in groups))),
            _ext(0x0033, _vec16(shares)),  # key_share
            _ext(0x000D, _vec16(b"".join(_u16(a) for a in sigalgs))),
            _ext(0x000E, _vec16(_u16(0x0007) + _u16(0x0001)) + b"\x00"),  # use_srtp: GCM, CM80
            _ext(0x0017, b""),  # extended_master_secret
            _ext(0xFF01, b"\x00"),  # renegotiation_info
            _ext(0x000B, b"\x01\x00"),  # ec_point_formats
            _ext(0x002D, b"\x01\x01"),  # psk_key_exchange_modes
        ]
    )
    return (
        b"\xfe\xfd"  # legacy_version DTLS 1.2
        + rng.randbytes(32)
        + b"\x00"  # session id
        + b"\x00"  # cookie
        + _vec16(b"".join(_u16(s) for s in suites))
        + b"\x01\x00"  # null compression
        + _vec16(exts)
    )


def fragment(body: bytes, size: int) -> list[bytes]:
    """One DTLS record per handshake fragment of at most `size` bytes."""
    out = []
    for seq, off in enumerate(range(0, len(body), size)):
        frag = body[off : off + size]
        hs = bytes([1]) + len(body).to_bytes(3, "big") + _u16(0) + off.to_bytes(3, "big")
        hs += len(frag).to_bytes(3, "big") + frag
        out.append(b"\x16\xfe\xff" + _u16(0) + seq.to_bytes(6, "big") + _vec16(hs))
    return out


def _handshake_messages(datagrams: list[bytes]) -> list[tuple[int, bytes]]:
    """(type, first fragment) of each epoch-0 handshake message the server sent."""
    msgs = []
    for d in datagrams:
        for ctype, epoch, body in records(d):
            if ctype == 22 and epoch == 0 and int.from_bytes(body[6:9], "big") == 0:
                msgs.append((body[0], body[12:]))
    return msgs


@pytest.mark.parametrize("order", ["in order", "reversed", "shuffled"])
def test_fragmented_dtls13_pq_client_hello_gets_a_dtls12_server_hello(order: str) -> None:
    rng = random.Random(order)
    body = browser_client_hello(rng)
    assert len(body) > 1300  # more than one datagram's worth
    frags = fragment(body, 500)
    assert len(frags) >= 3
    if order == "reversed":
        frags.reverse()
    elif order == "shuffled":
        rng.shuffle(frags)
    server = _core.DtlsSession(_core.DtlsCertificate.generate(), "server")
    server.start(0)
    for i, f in enumerate(frags):
        assert server.poll_transmit() is None, f"answered before fragment {i} of {len(frags)}"
        server.on_datagram(f, 0)
    out = []
    while (d := server.poll_transmit()) is not None:
        out.append(d)
    assert out and all(len(d) <= 1200 for d in out)
    assert server.state == "connecting" and server.stats()["dropped"] == 0
    msgs = _handshake_messages(out)
    types = [t for t, _ in msgs]
    # ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone.
    assert types == [2, 11, 12, 13, 14]
    hello = msgs[0][1]
    assert hello[:2] == b"\xfe\xfd"  # DTLS 1.2
    sid_len = hello[34]
    suite = int.from_bytes(hello[35 + sid_len : 37 + sid_len], "big")
    assert suite == 0xC02B  # ECDHE-ECDSA-AES128-GCM-SHA256
    assert b"\x00\x0e\x00\x05\x00\x02\x00\x07\x00" in hello  # use_srtp: SRTP_AEAD_AES_128_GCM
    assert b"\x00\x2b" not in hello[35 + sid_len + 3 :]  # no supported_versions: not 1.3
    ske = msgs[2][1]
    # ServerKeyExchange: named_curve (3) and a group the browser offered that OpenSSL 3.0
    # has (x25519, since it has no ML-KEM).
    assert ske[0] == 3 and int.from_bytes(ske[1:3], "big") == 0x001D


def test_hello_without_a_common_group_beyond_pq_falls_back_to_p256() -> None:
    """A hello offering only the hybrid group and P-256 gets P-256."""
    rng = random.Random(1)
    body = browser_client_hello(rng, (X25519MLKEM768, 0x0017))
    server = _core.DtlsSession(_core.DtlsCertificate.generate(), "server")
    server.start(0)
    for f in fragment(body, 700):
        server.on_datagram(f, 0)
    out = []
    while (d := server.poll_transmit()) is not None:
        out.append(d)
    msgs = _handshake_messages(out)
    assert [t for t, _ in msgs][:3] == [2, 11, 12]
    assert int.from_bytes(msgs[2][1][1:3], "big") == 0x0017
