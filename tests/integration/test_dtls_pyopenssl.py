"""DtlsSession against an independent DTLS-SRTP implementation: pyOpenSSL (aiortc's DTLS
layer, on the OpenSSL that the `cryptography` wheel bundles, not Debian's) in memory, in both
roles. Both ends must export the same SRTP keys, verify each other's certificate by
fingerprint, and our certificate must be what WebRTC peers expect (ECDSA P-256, valid now)."""

from __future__ import annotations

import datetime

import pytest

SSL = pytest.importorskip("OpenSSL.SSL")
x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from peers.dtls_cert import self_signed_p256  # noqa: E402
from siperb import _core  # noqa: E402

PROFILES = {
    b"SRTP_AEAD_AES_128_GCM": ("AEAD_AES_128_GCM", 12),
    b"SRTP_AES128_CM_SHA1_80": ("AES_CM_128_HMAC_SHA1_80", 14),
}


def _peer_cert() -> tuple[object, object]:
    return self_signed_p256("pyopenssl-peer")


class Peer:
    """A pyOpenSSL DTLS endpoint on memory BIOs."""

    def __init__(self, role: str, profiles: bytes) -> None:
        self.key, self.cert = _peer_cert()
        ctx = SSL.Context(SSL.DTLS_METHOD)
        ctx.use_certificate(self.cert)
        ctx.use_privatekey(self.key)
        ctx.set_tlsext_use_srtp(profiles)
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *a: True)
        self.conn = SSL.Connection(ctx, None)
        if role == "client":
            self.conn.set_connect_state()
        else:
            self.conn.set_accept_state()
        self.done = False

    def step(self) -> None:
        if self.done:
            return
        try:
            self.conn.do_handshake()
            self.done = True
        except SSL.WantReadError:
            pass

    def datagrams(self) -> list[bytes]:
        """What it wrote, cut into one record per datagram (a memory BIO joins them)."""
        try:
            data = self.conn.bio_read(65536)
        except SSL.WantReadError:
            return []
        out, pos = [], 0
        while pos < len(data):
            n = 13 + int.from_bytes(data[pos + 11 : pos + 13], "big")
            out.append(data[pos : pos + n])
            pos += n
        return out

    def fingerprint(self, algorithm: hashes.HashAlgorithm) -> str:
        return self.cert.fingerprint(algorithm).hex(":").upper()  # type: ignore[attr-defined]


def _run(ours: _core.DtlsSession, peer: Peer) -> None:
    ours.start(0)
    peer.step()
    for _ in range(20):
        moved = False
        for d in peer.datagrams():
            ours.on_datagram(d, 0)
            moved = True
        while (d := ours.poll_transmit()) is not None:
            peer.conn.bio_write(d)
            moved = True
        peer.step()
        if not moved:
            break


def _peer_keys(peer: Peer) -> tuple[str, bytes, bytes, bytes, bytes]:
    name, salt_len = PROFILES[peer.conn.get_selected_srtp_profile()]
    m = peer.conn.export_keying_material(b"EXTRACTOR-dtls_srtp", 2 * (16 + salt_len))
    ck, sk = m[:16], m[16:32]
    cs, ss = m[32 : 32 + salt_len], m[32 + salt_len :]
    return name, ck, sk, cs, ss


@pytest.mark.parametrize("our_role", ["client", "server"])
@pytest.mark.parametrize(
    "profiles", [b"SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", b"SRTP_AES128_CM_SHA1_80"]
)
def test_keys_match_pyopenssl_in_both_roles(our_role: str, profiles: bytes) -> None:
    cert = _core.DtlsCertificate.generate()
    ours = _core.DtlsSession(cert, our_role)
    peer = Peer("server" if our_role == "client" else "client", profiles)
    ours.set_remote_fingerprint("sha-256", peer.fingerprint(hashes.SHA256()))
    _run(ours, peer)
    assert peer.done and ours.state == "connected", ours.failure
    keys = ours.srtp_keys()
    assert keys is not None
    name, ck, sk, cs, ss = _peer_keys(peer)
    assert keys[0] == name
    client_master, server_master = ck + cs, sk + ss
    if our_role == "client":
        assert (keys[1], keys[2]) == (client_master, server_master)
    else:
        assert (keys[1], keys[2]) == (server_master, client_master)
    # The peer saw our certificate: the one whose fingerprint we publish.
    seen = peer.conn.get_peer_certificate(as_cryptography=True)
    assert seen.fingerprint(hashes.SHA256()).hex(":").upper() == cert.fingerprint


@pytest.mark.parametrize("algorithm", [hashes.SHA1(), hashes.SHA384(), hashes.SHA512()])
def test_other_fingerprint_hashes_verify(algorithm: hashes.HashAlgorithm) -> None:
    ours = _core.DtlsSession(_core.DtlsCertificate.generate(), "server")
    peer = Peer("client", b"SRTP_AES128_CM_SHA1_80")
    name = {"sha1": "sha-1", "sha384": "sha-384", "sha512": "sha-512"}[algorithm.name]
    ours.set_remote_fingerprint(name, peer.fingerprint(algorithm))
    _run(ours, peer)
    assert ours.state == "connected", ours.failure


def test_wrong_fingerprint_sends_an_alert_to_pyopenssl() -> None:
    ours = _core.DtlsSession(_core.DtlsCertificate.generate(), "server")
    peer = Peer("client", b"SRTP_AES128_CM_SHA1_80")
    ours.set_remote_fingerprint("sha-256", _core.DtlsCertificate.generate().fingerprint)
    with pytest.raises(SSL.Error, match=r"(?i)bad certificate"):
        _run(ours, peer)
    assert ours.state == "failed" and ours.failure == "fingerprint mismatch"


def test_our_certificate_is_what_webrtc_peers_expect() -> None:
    cert = _core.DtlsCertificate.generate()
    ours = _core.DtlsSession(cert, "server")
    peer = Peer("client", b"SRTP_AES128_CM_SHA1_80")
    ours.set_remote_fingerprint("sha-256", peer.fingerprint(hashes.SHA256()))
    _run(ours, peer)
    seen = peer.conn.get_peer_certificate(as_cryptography=True)
    pub = seen.public_key()
    assert isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name == "secp256r1"
    assert seen.signature_hash_algorithm.name == "sha256"
    now = datetime.datetime.now(datetime.timezone.utc)
    assert (
        seen.not_valid_before_utc
        < now - datetime.timedelta(hours=1)
        < now
        < seen.not_valid_after_utc
    )
    assert seen.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "siperb"
    assert seen.serial_number > 0
    other = _core.DtlsCertificate.generate()
    assert other.fingerprint != cert.fingerprint
