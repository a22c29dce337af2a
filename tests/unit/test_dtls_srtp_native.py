"""The exported DTLS-SRTP keys in the engine's own SrtpContext (libsrtp2): protect with one
side's local key, unprotect with the other side's remote key, for both profiles
(tests/native/dtls_srtp.cpp, a test program built with the extension but not part of it)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def test_dtls_keys_protect_and_unprotect_crosswise() -> None:
    d = os.environ.get("SIPERB_NATIVE_TEST_DIR")
    exe = Path(d or Path(__file__).resolve().parents[2] / "build" / "dev") / "test_dtls_srtp"
    if not exe.exists():
        if d:
            pytest.fail(f"{exe} not built (SIPERB_NATIVE_TESTS=ON)")
        pytest.skip(f"{exe} not built: run make build")
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split("\n")[:2] == ["ok AEAD_AES_128_GCM", "ok AES_CM_128_HMAC_SHA1_80"]
