"""Run inside the mount namespace by test_wheel_install.py with the wheel's virtualenv: the
hidden system libraries are really gone, and siperb works without them. Prints one line per
check; any failure raises."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time

HIDDEN = sys.argv[1].split(",")
VENV = sys.prefix

for soname in HIDDEN:  # the namespace hides them: loading one must fail
    try:
        ctypes.CDLL(soname)
    except OSError:
        continue
    raise SystemExit(f"{soname} is still loadable: the namespace does not hide it")
print(f"hidden: {', '.join(HIDDEN)}")

import numpy as np  # noqa: E402

import siperb  # noqa: E402
from siperb import _core, media  # noqa: E402
from siperb.media.codecs import g711, opus  # noqa: E402

assert siperb.__file__ is not None and siperb.__file__.startswith(VENV), siperb.__file__
assert _core.__version__ == siperb.__version__
print(f"import: siperb {siperb.__version__} from {os.path.dirname(siperb.__file__)}")
ldd = subprocess.run(["ldd", _core.__file__], capture_output=True, text=True, check=True).stdout
assert "not found" not in ldd, ldd
needed = sorted(line.split()[0] for line in ldd.splitlines() if "=>" in line)
print(f"ldd: {' '.join(needed)}")

pcm = (np.sin(np.arange(960) * 2 * np.pi * 440 / 48000) * 8000).astype(np.int16)
packet = opus.OpusEncoder(48000, 1).encode(pcm)
assert len(opus.OpusDecoder(48000, 1).decode(packet)) == 960
assert len(g711.ulaw_decode(g711.ulaw_encode(pcm))) == 960
print(f"opus: {_core.opus_version}, a 20 ms frame in {len(packet)} bytes")

engine = media.Engine.default()


def params(suite: str, port: int, local: str, remote: str) -> media.StreamParams:
    return media.StreamParams(codec="PCMU", clock_rate=8000, payload_type=0,
                              local_payload_type=0, remote_address="127.0.0.1",
                              remote_port=port, srtp_suite=suite, srtp_local_key=local,
                              srtp_remote_key=remote)  # fmt: skip


for suite in ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM"):
    ka, kb = media.random_srtp_key(suite), media.random_srtp_key(suite)
    a, b = engine.session(), engine.session()
    a.start(params(suite, b.local_port, ka, kb))
    b.start(params(suite, a.local_port, kb, ka))
    sink = media.MemorySink(8000, 8000 * 2)
    b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(440, 2), 8000, loop=True))
    deadline = time.monotonic() + 10
    while len(sink) < 8000 and time.monotonic() < deadline:
        time.sleep(0.05)
    heard = sink.samples()[2000:].astype(float)
    peak = np.argmax(np.abs(np.fft.rfft(heard))) * 8000 / len(heard) if len(heard) else 0.0
    stats = b.stats()
    a.close()
    b.close()
    assert len(sink) >= 8000 and abs(peak - 440) < 10, (suite, len(sink), peak)
    assert stats.srtp_auth_failures == 0 and stats.srtp_errors == 0, suite
    print(f"srtp: {suite} carried a 440 Hz tone ({stats.packets_received} packets)")
