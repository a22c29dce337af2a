"""DtlsSession over real UDP on loopback against Debian's own DTLS peer, `openssl s_server
-dtls` and `openssl s_client -dtls` (OpenSSL 3.0, a separate process): the handshake with
use_srtp completes in both roles, and the SRTP keying material the peer prints
(-keymatexport EXTRACTOR-dtls_srtp) is exactly what our session split into its keys. Debian's
openssl cannot offer DTLS 1.3 (that hello is covered by tests/unit/test_dtls_browser_hello.py)."""

from __future__ import annotations

import re
import shutil
import socket
import time
from pathlib import Path

import pytest

from peers.dtls_cert import self_signed_p256
from peers.ports import LOOPBACK4, free_port
from peers.procs import ManagedProcess
from siperb import _core

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402

KEYMAT = re.compile(r"Keying material: ([0-9A-Fa-f]+)")
SALT = {"AEAD_AES_128_GCM": 12, "AES_CM_128_HMAC_SHA1_80": 14}


def _require_openssl() -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed (Debian package openssl; scripts/bootstrap.sh)")


def _write_cert(dir_: Path) -> tuple[Path, Path, str]:
    key, cert = self_signed_p256("openssl-cli")
    cert_path, key_path = dir_ / "peer.crt", dir_ / "peer.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path, cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _drive(ours: _core.DtlsSession, sock: socket.socket, peer: tuple[str, int] | None) -> None:
    """Moves datagrams between the session and the socket until connected (10 s at most)."""
    end = time.monotonic() + 10
    ours.start(time.monotonic_ns())
    while ours.state == "connecting" and time.monotonic() < end:
        while peer is not None and (d := ours.poll_transmit()) is not None:
            assert len(d) <= 1200
            sock.sendto(d, peer)
        now = time.monotonic_ns()
        wait = min(0.05, max(0.0, (ours.next_deadline() - now) / 1e9))
        sock.settimeout(wait or 0.001)
        try:
            data, addr = sock.recvfrom(65536)
            peer = peer or addr
            ours.on_datagram(data, time.monotonic_ns())
        except TimeoutError:
            pass
        now = time.monotonic_ns()
        if now >= ours.next_deadline():
            ours.on_timeout(now)
    while peer is not None and (d := ours.poll_transmit()) is not None:
        sock.sendto(d, peer)


def _keying_material(proc: ManagedProcess) -> bytes:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        m = KEYMAT.search(proc.log_text())
        if m:
            return bytes.fromhex(m.group(1))
        if not proc.alive():
            break
        time.sleep(0.05)
    raise proc.fail("no keying material printed")


def _check_keys(ours: _core.DtlsSession, material: bytes, role: str) -> None:
    keys = ours.srtp_keys()
    assert keys is not None
    suite, local, remote = keys
    salt = SALT[suite]
    assert len(material) == 2 * (16 + salt)
    client = material[:16] + material[32 : 32 + salt]
    server = material[16:32] + material[32 + salt :]
    assert (local, remote) == ((client, server) if role == "client" else (server, client))


PROFILES = ["SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", "SRTP_AES128_CM_SHA1_80"]


@pytest.mark.parametrize("profiles", PROFILES)
def test_our_client_against_openssl_s_server(tmp_path: Path, profiles: str) -> None:
    _require_openssl()
    cert, key, fp = _write_cert(tmp_path)
    port = free_port(ipv6=False)
    keylen = 56 if profiles.startswith("SRTP_AEAD") else 60
    server = ManagedProcess(
        "openssl s_server",
        # s_server ends when its stdin does: a pipe from sleep keeps it open (same process group).
        ["sh", "-c", "sleep 30 | exec openssl \"$@\"", "sh", "s_server", "-dtls",
         "-accept", f"{LOOPBACK4}:{port}", "-cert", str(cert), "-key", str(key),
         "-use_srtp", profiles, "-keymatexport", "EXTRACTOR-dtls_srtp",
         "-keymatexportlen", str(keylen), "-verify", "1", "-mtu", "1200", "-naccept", "1"],
        tmp_path / "s_server.log",
    )  # fmt: skip
    try:
        ours = _core.DtlsSession(_core.DtlsCertificate.process(), "client")
        ours.set_remote_fingerprint("sha-256", fp)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((LOOPBACK4, 0))
            time.sleep(0.3)  # s_server binds right after exec; a lost hello is resent anyway
            _drive(ours, sock, (LOOPBACK4, port))
            assert ours.state == "connected", (ours.failure, server.log_tail())
            _check_keys(ours, _keying_material(server), "client")
            ours.close()
            _drive(ours, sock, (LOOPBACK4, port))
    finally:
        server.stop()


@pytest.mark.parametrize("profiles", PROFILES)
def test_our_server_against_openssl_s_client(tmp_path: Path, profiles: str) -> None:
    _require_openssl()
    cert, key, fp = _write_cert(tmp_path)
    keylen = 56 if profiles.startswith("SRTP_AEAD") else 60
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK4, 0))
        port = sock.getsockname()[1]
        ours = _core.DtlsSession(_core.DtlsCertificate.process(), "server")
        ours.set_remote_fingerprint("sha-256", fp)
        client = ManagedProcess(
            "openssl s_client",
            ["openssl", "s_client", "-dtls", "-connect", f"{LOOPBACK4}:{port}", "-cert", str(cert),
             "-key", str(key), "-use_srtp", profiles, "-keymatexport", "EXTRACTOR-dtls_srtp",
             "-keymatexportlen", str(keylen), "-mtu", "1200", "-ign_eof"],
            tmp_path / "s_client.log",
        )  # fmt: skip
        try:
            _drive(ours, sock, None)
            assert ours.state == "connected", (ours.failure, client.log_tail())
            _check_keys(ours, _keying_material(client), "server")
            log = client.log_text()
            assert "Protocol  : DTLSv1.2" in log or "DTLSv1.2" in log
        finally:
            client.stop()
