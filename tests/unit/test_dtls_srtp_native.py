"""The exported DTLS-SRTP keys in the engine's own SrtpContext (libsrtp2): protect with one
side's local key, unprotect with the other side's remote key, for both profiles
(tests/native/dtls_srtp.cpp, a test program built with the extension but not part of it)."""

from __future__ import annotations

from native_programs import run_native


def test_dtls_keys_protect_and_unprotect_crosswise() -> None:
    out = run_native("test_dtls_srtp")
    assert out.split("\n")[:2] == ["ok AEAD_AES_128_GCM", "ok AES_CM_128_HMAC_SHA1_80"]
