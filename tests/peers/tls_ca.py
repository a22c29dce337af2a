"""A throw-away certificate authority for the tests of the frame's TLS listener.

``TestCa(dir)`` makes a CA (ECDSA P-256, a day long) and ``issue(addresses)`` a server
certificate for IP addresses and names, signed by it, written as PEM files the frame loads.
``nss_home(dir)`` makes a home directory whose NSS database (``~/.pki/nssdb``, where Chromium
on Linux keeps the trust a user added) trusts the CA as a root: Chromium then verifies the
frame's chain and address for real (no ``--ignore-certificate-errors``). Needs ``certutil``
(Debian libnss3-tools) for that and the ``cryptography`` package for the rest.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _pem_key(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))  # fmt: skip


class TestCa:
    """The CA's files in ``directory``: ``ca.pem``; ``issue`` adds server.pem/server.key."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path, name: str = "siperb test CA") -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(self.key, hashes.SHA256())
        )  # fmt: skip
        self.ca_pem = directory / "ca.pem"
        self.ca_pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, addresses: Sequence[str], stem: str = "server") -> tuple[Path, Path]:
        """(certificate, key) PEM files for these IP addresses / DNS names (SANs)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for a in addresses:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(a)))
            except ValueError:
                sans.append(x509.DNSName(a))
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, addresses[0])]))
            .issuer_name(self.name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(self.key, hashes.SHA256())
        )  # fmt: skip
        cert_path = self.directory / f"{stem}.pem"
        key_path = self.directory / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_pem_key(key))
        key_path.chmod(0o600)
        return cert_path, key_path

    def nss_home(self, home: Path) -> Path:
        """A HOME whose ~/.pki/nssdb trusts this CA for servers (``certutil -A -t C,,``)."""
        certutil = shutil.which("certutil")
        if certutil is None:
            raise RuntimeError(certutil_missing())
        db = home / ".pki" / "nssdb"
        db.mkdir(parents=True, exist_ok=True)
        for argv in ([certutil, "-N", "-d", f"sql:{db}", "--empty-password"],
                     [certutil, "-A", "-d", f"sql:{db}", "-n", "siperb-test-ca", "-t", "C,,",
                      "-i", str(self.ca_pem)]):  # fmt: skip
            subprocess.run(argv, check=True, capture_output=True, timeout=30)
        return home


def certutil_missing() -> str | None:
    """Why a browser cannot be made to trust the CA here (None when it can)."""
    if shutil.which("certutil") is None:
        return "certutil not installed (Debian libnss3-tools; scripts/bootstrap.sh)"
    return None
