"""siperb's PortAudio device against a real (private, null-sink) PulseAudio.

PortAudio reads the PulseAudio env vars at Pa_Initialize, so the device part runs in a
subprocess with the fixture's environment; it plays a 1 kHz tone into the null sink through
siperb's DeviceSink and captures the sink's monitor through siperb's DeviceSource, in one
duplex stream on ALSA's `pulse` device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from peers.pulse import PulseAudio, start_pulseaudio

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

LOOPBACK = r"""
import json, sys, time
import numpy as np
from siperb import audio

rate = 16000
names = [d.name for d in audio.list_devices()]
with audio.AudioDevice(input="pulse", output="pulse", sample_rate=rate) as dev:
    tone = audio.ToneSource(rate, [([1000.0], 0)], level_dbfs=-6.0)
    src, sink = dev.source, dev.sink
    got = []
    start = time.monotonic()
    for i in range(300):  # 6 s (the pulse plugin takes ~2 s to start here), as the engine
        # would: one 20 ms frame each way per tick
        sink.write(tone.read(320))
        got.append(src.read(320))
        time.sleep(max(0.0, start + (i + 1) * 0.02 - time.monotonic()))
    info = {"names": names, "status": dev.status, "stats": dev.stats,
            "device_rate": dev.device_rate, "input": dev.input_name, "output": dev.output_name,
            "error": dev.error}
np.save(sys.argv[1], np.concatenate(got))
print(json.dumps(info))
"""

LOSS = r"""
import json, sys, time
import numpy as np
from siperb import audio

with audio.AudioDevice(input="pulse", output="pulse", sample_rate=8000) as dev:
    print("open", flush=True)
    sys.stdin.readline()  # the test kills the server now
    deadline = time.monotonic() + 20
    while dev.status == "running" and time.monotonic() < deadline:
        dev.sink.write(np.zeros(160, np.int16))
        dev.source.read(160)
        time.sleep(0.02)
    print(json.dumps({"status": dev.status, "error": dev.error}), flush=True)
"""


def _env(pulse: PulseAudio) -> dict[str, str]:
    return {**os.environ, **pulse.env(), "PYTHONPATH": str(ROOT / "python")}


def test_tone_through_null_sink_and_monitor(pulseaudio: PulseAudio, tmp_path: Path) -> None:
    out = tmp_path / "captured.npy"
    proc = subprocess.run(
        [sys.executable, "-c", LOOPBACK, str(out)],
        env=_env(pulseaudio), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "pulse" in info["names"]
    assert info["status"] == "running", (info["error"], info["stats"])
    assert info["input"] == info["output"] == "pulse"
    assert info["stats"]["callbacks"] > 100
    x = np.load(out).astype(np.float64)
    assert len(x) > 16000 * 2
    tail = x[-24000:]  # the last 1.5 s: past the stream start-up
    spec = np.abs(np.fft.rfft(tail * np.hanning(len(tail))))
    peak = float(np.fft.rfftfreq(len(tail), 1 / 16000)[int(np.argmax(spec))])
    assert peak == pytest.approx(1000.0, abs=3)
    rms = float(np.sqrt(np.mean(tail**2)))
    expected = 32767 * 10 ** (-6 / 20) / np.sqrt(2)
    assert 20 * np.log10(rms / expected) == pytest.approx(0.0, abs=3.0)


def test_server_loss_is_a_status_not_a_crash(tmp_path: Path) -> None:
    if subprocess.run(["which", "pulseaudio"], capture_output=True).returncode != 0:
        pytest.skip("pulseaudio not installed (Debian package pulseaudio; scripts/bootstrap.sh)")
    pulse = start_pulseaudio(tmp_path / "pa", sink="siperb_loss")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", LOSS], env=_env(pulse), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert proc.stdout is not None and proc.stdin is not None
            assert proc.stdout.readline().strip() == "open"
            pulse.stop()
            proc.stdin.write("go\n")
            proc.stdin.flush()
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, err[-3000:]
        result = json.loads(out.strip().splitlines()[-1])
        assert result["status"] == "failed" and result["error"]
    finally:
        pulse.stop()
