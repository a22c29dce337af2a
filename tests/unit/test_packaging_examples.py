"""The programs in examples/ run as a user starts them, each against the demo's loopback PBX
(no flags: the echo peer plays the caller or the callee), so they cannot rot unnoticed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from siperb.media import engine_available
from siperb.media.audio import WavFile

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.skipif(not engine_available(), reason="needs the media engine")


def run(name: str, *args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True,
                          text=True, timeout=90, env=env, cwd=cwd or EXAMPLES)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "registered as sip:example@127.0.0.1" in done.stdout, done.stdout
    return done.stdout


def test_every_example_is_tested_and_documented() -> None:
    programs = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
    assert programs == ["answering_machine.py", "call_quality_probe.py", "ivr.py",
                        "voice_bot.py"]  # fmt: skip
    for p in programs:
        text = (EXAMPLES / p).read_text()
        assert text.startswith('"""') and f"python examples/{p}" in text  # how to start it
        assert f'run("{p}"' in Path(__file__).read_text()  # each one is run below


@pytest.mark.timeout(120)
def test_voice_bot_answers_talks_and_hears_itself_back() -> None:
    out = run("voice_bot.py")
    assert "answered sip:echo@127.0.0.1" in out
    assert "said 3 words" in out
    heard = re.search(r"^heard (.*)$", out, re.M)
    assert heard, out
    pitches = [float(h.split()[0]) for h in heard.group(1).split(", ") if h != "silence"]
    # The greeting (523, 659, 784 Hz) came back through the echo: at least two of its words.
    assert sum(any(abs(p - g) < 15 for g in (523, 659, 784)) for p in pitches) >= 2, out
    assert "hung up" in out


@pytest.mark.timeout(120)
def test_ivr_follows_the_callers_digits() -> None:
    out = run("ivr.py")
    assert "pressed 1: sales" in out and "pressed 2: support" in out
    assert "pressed 0: goodbye" in out
    assert "call done: sales, support, goodbye" in out


@pytest.mark.timeout(120)
def test_answering_machine_records_the_caller(tmp_path: Path) -> None:
    out = run("answering_machine.py", "--dir", str(tmp_path), "--seconds", "2")
    m = re.search(r"^message: (\S+) \(([\d.]+) s, 2 channels, caller peak (-?\d+) dBFS\)$", out,
                  re.M)  # fmt: skip
    assert m, out
    path = Path(m.group(1))
    assert path.parent == tmp_path and path.exists()
    rate, channels, pcm = WavFile.read(str(path))
    assert channels == 2 and len(pcm) > rate  # about two seconds
    assert int(m.group(3)) > -20  # the echoed beep (12000 peak, about -8.7 dBFS) was heard


@pytest.mark.timeout(120)
def test_call_quality_probe_reports_the_echo_path() -> None:
    out = run("call_quality_probe.py", "--seconds", "3", "--min-mos", "3.0")
    lines = re.findall(r"^\[\s*\d+ s\] sent (\d+), received (\d+), .*MOS ([\d.]+)$", out, re.M)
    assert len(lines) == 3, out
    assert int(lines[-1][0]) > 50 and int(lines[-1][1]) > 50  # ~50 packets a second each way
    summary = re.search(r"^summary: .*MOS ([\d.]+) \(ok\)$", out, re.M)
    assert summary and float(summary.group(1)) >= 3.0, out


def test_call_quality_probe_fails_below_its_threshold() -> None:
    """The exit status is the verdict: a MOS above the E-model's maximum cannot be met."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    done = subprocess.run([sys.executable, str(EXAMPLES / "call_quality_probe.py"), "--seconds",
                           "1", "--min-mos", "4.9"], capture_output=True, text=True, timeout=90,
                          env=env, cwd=EXAMPLES)  # fmt: skip
    assert done.returncode == 1 and "(below 4.9)" in done.stdout, done.stdout + done.stderr
