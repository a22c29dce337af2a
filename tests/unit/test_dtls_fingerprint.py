"""The process certificate and the SDP fingerprint check: mismatches fail with a named
reason, a fingerprint that comes after the ClientHello holds Connected back until it is
known, malformed fingerprints raise MediaError naming the field."""

from __future__ import annotations

import re
import threading

import pytest
from dtls_helpers import Pair

from siperb import _core
from siperb.errors import MediaError

FP = re.compile(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")


def test_certificate_fingerprint_format_and_process_identity() -> None:
    a, b = _core.DtlsCertificate.generate(), _core.DtlsCertificate.generate()
    assert a.fingerprint_algorithm == "sha-256"
    assert FP.match(a.fingerprint) and FP.match(b.fingerprint)
    assert a.fingerprint != b.fingerprint
    assert (
        _core.DtlsCertificate.process().fingerprint == _core.DtlsCertificate.process().fingerprint
    )


def test_process_certificate_is_created_once_across_threads() -> None:
    seen: list[str] = []
    threads = [
        threading.Thread(target=lambda: seen.append(_core.DtlsCertificate.process().fingerprint))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(seen) == 8 and len(set(seen)) == 1


def _started(pair: Pair) -> None:
    pair.server.start(0)
    pair.client.start(0)
    pair.pump(0)


@pytest.mark.parametrize("wrong_side", ["client", "server"])
def test_fingerprint_mismatch_fails_with_reason(wrong_side: str) -> None:
    pair = Pair()
    other = _core.DtlsCertificate.generate().fingerprint
    pair.client.set_remote_fingerprint(
        "sha-256", other if wrong_side == "client" else pair.server_cert.fingerprint
    )
    pair.server.set_remote_fingerprint(
        "sha-256", other if wrong_side == "server" else pair.client_cert.fingerprint
    )
    _started(pair)
    checker = pair.client if wrong_side == "client" else pair.server
    assert checker.state == "failed"
    assert checker.failure == "fingerprint mismatch"
    assert checker.srtp_keys() is None
    # The other side learns of it (an alert or close_notify), never reaches keys it could use.
    peer = pair.server if wrong_side == "client" else pair.client
    assert peer.state in ("failed", "closed")
    assert peer.srtp_keys() is None


@pytest.mark.parametrize("late_side", ["client", "server"])
def test_late_fingerprint_holds_connected_back(late_side: str) -> None:
    pair = Pair()
    late = pair.client if late_side == "client" else pair.server
    early = pair.server if late_side == "client" else pair.client
    early_peer_cert = pair.client_cert if early is pair.server else pair.server_cert
    late_peer_cert = pair.server_cert if late is pair.client else pair.client_cert
    early.set_remote_fingerprint("sha-256", early_peer_cert.fingerprint)
    _started(pair)
    assert early.state == "connected"
    assert late.state == "connecting" and late.srtp_keys() is None
    late.set_remote_fingerprint("sha-256", late_peer_cert.fingerprint.lower())
    assert late.state == "connected"
    k = late.srtp_keys()
    assert k is not None
    ek = early.srtp_keys()
    assert ek is not None and k[1] == ek[2]


def test_late_wrong_fingerprint_fails_and_tells_the_peer() -> None:
    pair = Pair()
    pair.client.set_remote_fingerprint("sha-256", pair.server_cert.fingerprint)
    _started(pair)
    assert pair.client.state == "connected" and pair.server.state == "connecting"
    pair.server.set_remote_fingerprint("sha-256", _core.DtlsCertificate.generate().fingerprint)
    assert pair.server.state == "failed" and pair.server.failure == "fingerprint mismatch"
    assert pair.server.srtp_keys() is None
    pair.pump(1)
    assert pair.client.state == "closed"


def test_changed_fingerprint_after_connected_fails() -> None:
    pair = Pair()
    pair.exchange_fingerprints()
    _started(pair)
    assert pair.server.state == "connected"
    pair.server.set_remote_fingerprint("sha-256", pair.client_cert.fingerprint)  # same: fine
    assert pair.server.state == "connected"
    pair.server.set_remote_fingerprint("sha-256", _core.DtlsCertificate.generate().fingerprint)
    assert pair.server.state == "failed" and pair.server.failure == "fingerprint mismatch"


@pytest.mark.parametrize(
    ("algorithm", "hex_", "reason"),
    [
        ("md5", "AB:" * 15 + "AB", "unsupported hash function"),
        ("sha-256", "AB:" * 31 + "A", "odd number"),
        ("sha-256", "AB:" * 31 + "ZZ", "not a hex digit"),
        ("sha-256", "AB:" * 20 + "AB", "needs 32 bytes"),
        ("sha-256", "AB:" * 40 + "AB", "needs 32 bytes"),
        ("sha-256", "AB:" * 32, "trailing"),
        ("sha-256", "", "needs 32 bytes"),
    ],
)
def test_malformed_fingerprint_raises_media_error(algorithm: str, hex_: str, reason: str) -> None:
    s = _core.DtlsSession(_core.DtlsCertificate.process(), "server")
    with pytest.raises(MediaError) as e:
        s.set_remote_fingerprint(algorithm, hex_)
    assert e.value.field == "fingerprint"
    assert reason in e.value.reason


def test_other_hash_functions_are_checked() -> None:
    """sha-1 and sha-512 fingerprints parse and are checked (the right ones verify in
    tests/integration/test_dtls_pyopenssl.py)."""
    pair = Pair()
    # The digest under another hash is not exposed; a wrong sha-512 must fail, and a sha-1
    # of the right length parses.
    pair.server.set_remote_fingerprint("SHA-1", "00:" * 19 + "00")
    pair.client.set_remote_fingerprint("sha-512", "00:" * 63 + "00")
    _started(pair)
    assert pair.client.failure == "fingerprint mismatch"


def test_bad_role_and_profile_raise_media_error() -> None:
    cert = _core.DtlsCertificate.process()
    with pytest.raises(MediaError) as e:
        _core.DtlsSession(cert, "actpass")
    assert e.value.field == "role"
    with pytest.raises(MediaError) as e:
        _core.DtlsSession(cert, "client", srtp_profiles=["NULL"])
    assert e.value.field == "srtp_profiles"
    with pytest.raises(MediaError) as e:
        _core.DtlsSession(cert, "client", srtp_profiles=[])
    assert e.value.field == "srtp_profiles"
    with pytest.raises(MediaError) as e:
        _core.DtlsSession(cert, "client", mtu=100)
    assert e.value.field == "mtu"
