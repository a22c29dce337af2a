"""The built wheel installs and works where the system's codec, SRTP, PortAudio and NSS libraries
are hidden (#18).

A fresh virtualenv outside the source tree gets the wheel from wheelhouse/ (`make wheel`);
then, in a private mount namespace (root: `unshare -m --propagation private`) where each of
those libraries is bind-mounted over by /dev/null, it imports siperb, checks what _core links,
carries SRTP (three suites) and Opus, runs `siperb demo` and the unit suite's import checks,
and `siperb devices` says PortAudio is missing. `make test` builds the wheel first and sets
SIPERB_REQUIRE_WHEEL=1, so there a missing wheel fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# What a user's machine may lack: the libraries Debian's build of siperb links, the NSS that
# Debian's libsrtp2 loads its crypto from. OpenSSL stays (Python's ssl module needs it), but
# _core must not link it (ldd below): its libcrypto is static. libstdc++ stays
# system-provided, as manylinux allows.
HIDDEN = ["libopus.so.0", "libsrtp2.so.1", "libspeexdsp.so.1", "libportaudio.so.2",
          "libnss3.so", "libnssutil3.so", "libsoftokn3.so", "libfreeblpriv3.so",
          "libnspr4.so"]  # fmt: skip

pytestmark = pytest.mark.timeout(900)


def _wheel() -> Path:
    wheels = sorted((ROOT / "wheelhouse").glob("siperb-*manylinux*.whl"))
    if not wheels:
        if os.environ.get("SIPERB_REQUIRE_WHEEL") == "1":
            pytest.fail("no wheel in wheelhouse/: `make wheel` builds it")
        pytest.skip("no wheel in wheelhouse/ (make wheel; make test builds it)")
    return wheels[-1]


def _system_paths(sonames: list[str]) -> list[str]:
    """The real files behind the sonames, from the dynamic linker's cache (x86-64 entries)."""
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    paths = []
    for soname in sonames:
        found = re.findall(rf"^\s+{re.escape(soname)} \(libc6,x86-64[^)]*\) => (\S+)$", cache,
                           re.M)  # fmt: skip
        assert found, f"{soname} is not installed: nothing to hide (install it to test)"
        paths += sorted({os.path.realpath(p) for p in found})
    return paths


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheel = _wheel()
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        if os.environ.get("SIPERB_REQUIRE_WHEEL") == "1":
            pytest.fail("the wheel test needs root and unshare (util-linux)")
        pytest.skip("needs root and unshare for the mount namespace")
    work = tmp_path_factory.mktemp("wheel-user")
    assert not str(work).startswith(str(ROOT))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    base = getattr(sys, "_base_executable", sys.executable)  # the system Python, not .venv
    subprocess.run([base, "-m", "venv", str(work / "venv")], check=True, env=env, timeout=120)
    subprocess.run([str(work / "venv" / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", str(wheel), "pytest"], check=True, env=env,
                   timeout=600)  # fmt: skip
    return work


def test_the_wheel_runs_with_the_system_libraries_hidden(venv: Path) -> None:
    work, bin_ = venv, venv / "venv" / "bin"
    hidden = _system_paths(HIDDEN)
    checks = work / "checks"
    checks.mkdir(exist_ok=True)
    shutil.copy(ROOT / "tests" / "unit" / "test_package.py", checks / "test_package.py")
    script = textwrap.dedent(f"""\
        set -e
        for f in {" ".join(hidden)}; do mount --bind /dev/null "$f"; done
        cd {work}
        {bin_}/python {HERE / "wheel_checks.py"} {",".join(HIDDEN)}
        echo "version: $({bin_}/siperb --version)"
        {bin_}/siperb demo --hold 0.5
        rc=0; {bin_}/siperb devices 2>devices.err || rc=$?
        echo "devices: exit $rc, $(cat devices.err)"
        {bin_}/python -m pytest -q -p no:cacheprovider checks
        """)  # fmt: skip
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SIPERB_NATIVE_TEST_DIR", "LD_PRELOAD")
    }
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c", script],
                          capture_output=True, text=True, env=env, timeout=600)  # fmt: skip
    out = done.stdout
    print(out)
    assert done.returncode == 0, out + done.stderr
    assert f"hidden: {', '.join(HIDDEN)}" in out
    ldd = re.search(r"^ldd: (.*)$", out, re.M)
    assert ldd, out
    for lib in ("libopus", "libsrtp2", "libspeexdsp", "libportaudio", "libnss3", "libcrypto",
                "libssl"):  # fmt: skip
        assert lib not in ldd.group(1), ldd.group(1)
    for suite in ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM"):
        assert f"srtp: {suite} carried a 440 Hz tone" in out
    assert re.search(r"^version: siperb \S+ \(core \S+, libopus ", out, re.M), out
    # the demo: registration, an Opus call through the echo, DTMF, hold, the call back
    assert re.search(r"^call setup: .* codec opus\)$", out, re.M), out
    assert re.search(r"^audio: opus round trip [\d.]+ ms", out, re.M), out
    assert "dtmf: sent 123 by SIP INFO, echo peer received 123" in out
    assert "recording removed" in out
    assert re.search(r"^incoming hangup: by local; history row: inbound, answered", out, re.M)
    devices = re.search(r"^devices: exit (\d+), (.*)$", out, re.M)
    assert devices and devices.group(1) == "1", out
    assert "PortAudio, which is not installed" in devices.group(2), devices.group(2)
    assert re.search(r"^\d+ passed", out, re.M), out
