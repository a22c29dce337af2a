"""Running the native test programs (tests/native/*.cpp, built beside the extension when
SIPERB_NATIVE_TESTS=ON): where they are, and a skip or failure when one is missing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def run_native(
    name: str, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> str:
    """Run build/dev/NAME (or $SIPERB_NATIVE_TEST_DIR/NAME) and return its stdout; it must exit 0.

    Missing: a failure where SIPERB_NATIVE_TEST_DIR says the programs were built (make test,
    make test-asan), a skip otherwise (a bare checkout without make build)."""
    d = os.environ.get("SIPERB_NATIVE_TEST_DIR")
    exe = Path(d or Path(__file__).resolve().parents[2] / "build" / "dev") / name
    if not exe.exists():
        if d:
            pytest.fail(f"{exe} not built (SIPERB_NATIVE_TESTS=ON)")
        pytest.skip(f"{exe} not built: run make build")
    r = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=timeout, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout
