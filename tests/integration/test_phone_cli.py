"""The `siperb` command against Kamailio (WS) and baresip: register, call, listen, history."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from test_sdk_examples import provisioning_for

from peers.audio import dominant_frequency, write_tone_wav
from peers.baresip import CALL_CLOSED, CALL_ESTABLISHED, Baresip
from peers.kamailio import DOMAIN, Kamailio
from siperb.media import engine_available
from siperb.media.audio import WavFile

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
Factory = Callable[..., Baresip]
USER = "1003"
PROFILE = f"sip:{USER}@{DOMAIN}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "python") + os.pathsep + env.get("PYTHONPATH", "")
    env["LANG"] = "C.UTF-8"
    return env


def _account(kam: Kamailio, tmp: Path) -> list[str]:
    prov = tmp / "prov.json"
    prov.write_text(json.dumps(provisioning_for(kam, USER)))
    return ["--provisioning", str(prov), "--db", str(tmp / "h.sqlite3")]


def siperb(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "siperb", *args], capture_output=True,
                          text=True, timeout=timeout, env=_env(), cwd=ROOT)  # fmt: skip


@pytest.mark.timeout(60)
def test_cli_register_once_and_wrong_password(kamailio: Kamailio, tmp_path: Path) -> None:
    done = siperb("register", "--once", *_account(kamailio, tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"registered {PROFILE} (expires 600 s)" in done.stdout
    assert f"unregistered {PROFILE}" in done.stdout
    bad = siperb("register", "--once", *_account(kamailio, tmp_path), "--password", "nope")
    assert bad.returncode == 1
    assert "401" in bad.stdout and "registration failed" in bad.stdout


@pytest.mark.timeout(60)
def test_cli_call_with_duration_then_history(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Path
) -> None:
    bob = baresip_factory("1001", answermode="auto")
    account = _account(kamailio, tmp_path)
    done = siperb("call", "1001", "--duration", "0.5", *account)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "audio: media engine (RTP); sending silence, received audio discarded" in out
    assert f"call outbound sip:1001@{DOMAIN}: Connected (established)" in out
    assert "call ended: answered" in out and "hung up by local" in out
    bob.await_event(CALL_CLOSED, 10)
    nobody = siperb("call", "1099", *account)
    assert nobody.returncode == 1 and "SIP 404" in nobody.stdout
    history = siperb("history", "--profile", PROFILE, "--db", account[-1])
    lines = history.stdout.strip().splitlines()
    assert history.returncode == 0 and len(lines) == 2, history.stdout
    assert "sip:1099@" in lines[0] and "declined" in lines[0] and "SIP 404" in lines[0]
    assert "sip:1001@" in lines[1] and "answered" in lines[1] and "by local" in lines[1]


@pytest.mark.timeout(60)
def test_cli_call_ctrl_c_hangs_up_cleanly(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Path
) -> None:
    bob = baresip_factory("1001", answermode="auto")
    proc = subprocess.Popen([sys.executable, "-m", "siperb", "call", "1001",
                             *_account(kamailio, tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT)  # fmt: skip
    try:
        bob.await_event(CALL_ESTABLISHED, 15)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    assert "hanging up" in out and "call ended: answered" in out
    assert "Traceback" not in err
    bob.await_event(CALL_CLOSED, 10)


@pytest.mark.timeout(60)
def test_cli_listen_answers_one_call(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Path
) -> None:
    bob = baresip_factory("1001")
    proc = subprocess.Popen([sys.executable, "-m", "siperb", "listen", "--max-calls", "1",
                             "--duration", "30", *_account(kamailio, tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(), cwd=ROOT)  # fmt: skip
    try:
        kamailio.wait_registered(USER, timeout=15)
        bob.dial(f"sip:{USER}@{DOMAIN}")
        bob.await_event(CALL_ESTABLISHED, 10)
        bob.hangup()
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    assert "Incoming call from" in out and "(established)" in out and "(terminated)" in out


@pytest.mark.timeout(60)
def test_cli_call_plays_a_wav_and_records_both_directions(
    kamailio: Kamailio, baresip_factory: Factory, tmp_path: Path
) -> None:
    if not engine_available():
        pytest.skip("siperb._core built without the media engine")
    wav = write_tone_wav(tmp_path / "600.wav", (600.0,), seconds=4.0)
    rec = tmp_path / "call.wav"
    bob = baresip_factory("1001", answermode="auto", audio_source="ausine,1000",
                          audio_codecs="PCMU")  # fmt: skip
    done = siperb("call", "1001", "--duration", "2", "--wav", str(wav), "--record", str(rec),
                  "--stats-every", "0.5", *_account(kamailio, tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"recording to {rec}" in done.stdout and f"playing {wav}" in done.stdout
    # Live quality lines while the call runs: PCMU both ways, packets flowing, a MOS.
    live = [line for line in done.stdout.splitlines() if "media: PCMU" in line]
    assert live, done.stdout
    assert " 0 received" not in live[-1] and "MOS 0.00" not in live[-1], live[-1]
    assert "in -100 dBFS" not in live[-1], live[-1]  # baresip's sine is heard
    bob.await_event(CALL_CLOSED, 10)
    heard = [p for p in bob.recordings() if p.name.endswith("-dec.wav")][-1]
    hz, rms = dominant_frequency(heard)
    assert abs(hz - 600) < 20 and rms > 0.01, (hz, rms)  # baresip heard our WAV
    rate, channels, pcm = WavFile.read(rec)
    assert channels == 2 and len(pcm) > rate
    for side, want in ((0, 600.0), (1, 1000.0)):  # left: what we sent; right: baresip's sine
        x = pcm[rate // 2 :, side].astype(np.float64)
        peak = np.argmax(np.abs(np.fft.rfft(x * np.hanning(len(x))))) * rate / len(x)
        assert abs(peak - want) < 20, (side, peak)
