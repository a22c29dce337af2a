"""A self-signed ECDSA P-256 certificate for the independent DTLS peers of the tests (pyOpenSSL
in memory, Debian's `openssl s_server`/`s_client`): WebRTC peers verify it by fingerprint."""

from __future__ import annotations

import datetime
from typing import Any


def self_signed_p256(common_name: str) -> tuple[Any, Any]:
    """(private key, certificate) valid from an hour ago for a day, signed with SHA-256."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert
