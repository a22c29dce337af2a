"""The `siperb` command's polish (#18): --version, --verbose/--trace, the device table and
choice, plain --help, and the demo's temporary recording."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from loopback_thread import loopback

from siperb import cli
from siperb.demo import DEMO_PASSWORD
from siperb.media import engine_available
from siperb.media.audio import AudioDeviceInfo

Capture = pytest.CaptureFixture[str]
ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "python"), **extra}


def _siperb(*argv: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "siperb", *argv], capture_output=True,
                          text=True, timeout=timeout, env=_env(**env), cwd=ROOT)  # fmt: skip


def _account(port: int) -> list[str]:
    return ["--server", "127.0.0.1", "--port", str(port), "--path", "/ws", "--ws",
            "--user", "demo", "--password", DEMO_PASSWORD]  # fmt: skip


# ---- --help ----

MARKUP = re.compile(r"``|:(class|meth|func|mod|attr):`|\.\. \w+::")


def test_help_is_plain_text_for_every_subcommand() -> None:
    parser = cli.build_parser()
    texts = [parser.format_help()]
    sub = next(a for a in parser._actions if a.dest == "command")
    texts += [p.format_help() for p in sub.choices.values()]  # type: ignore[union-attr]
    assert len(texts) >= 8
    for text in texts:
        assert not MARKUP.search(text), text
    assert "--version" in texts[0] and "--trace" in texts[0] and "--verbose" in texts[0]


# ---- --verbose ----


def test_verbose_turns_on_siperb_logging(tmp_path: Path) -> None:
    f = tmp_path / "m.sip"
    f.write_bytes(cli.SAMPLE_INVITE)
    logger = logging.getLogger("siperb")
    before = logger.level
    try:
        assert cli.main(["parse", str(f)]) == 0
        assert logger.level == before  # nothing configured without the flag
        assert cli.main(["-v", "parse", str(f)]) == 0
        assert logger.level == logging.INFO
    finally:
        logger.setLevel(before)


def test_verbose_and_trace_work_after_the_subcommand_too() -> None:
    args = cli.build_parser().parse_args(["register", "--once", "-vv", "--trace"])
    assert args.verbose == 2 and args.trace is True
    args = cli.build_parser().parse_args(["--trace", "-v", "register", "--once"])
    assert args.verbose == 1 and args.trace is True  # not reset by the subcommand's defaults
    args = cli.build_parser().parse_args(["register", "--once"])
    assert not args.verbose and not args.trace


# ---- --trace ----


@pytest.mark.timeout(90)
def test_trace_prints_each_sip_message_with_credentials_redacted() -> None:
    with loopback() as port:
        done = _siperb("register", "--once", "--trace", *_account(port))
    assert done.returncode == 0, done.stdout + done.stderr
    err = done.stderr
    out_register = re.findall(r"^>>> out WS \S+ >>> \S+\nREGISTER sip:", err, re.M)
    in_401 = re.findall(r"^<<< in WS \S+ <<< \S+\nSIP/2.0 401 ", err, re.M)
    in_200 = re.findall(r"^<<< in WS \S+ <<< \S+\nSIP/2.0 200 ", err, re.M)
    assert len(out_register) >= 2 and in_401 and len(in_200) >= 1, err
    assert re.search(r'^Authorization: Digest .*response="<redacted>"', err, re.M), err
    assert DEMO_PASSWORD not in err and DEMO_PASSWORD not in done.stdout
    # without the flag, no trace
    with loopback() as port:
        quiet = _siperb("register", "--once", *_account(port))
    assert quiet.returncode == 0 and "REGISTER sip:" not in quiet.stderr


# ---- devices ----


def _device(index: int, name: str, ins: int, outs: int, din: bool, dout: bool) -> AudioDeviceInfo:
    return AudioDeviceInfo(index=index, name=name, host_api="ALSA", max_input_channels=ins,
                           max_output_channels=outs, default_sample_rate=48000.0,
                           default_input=din, default_output=dout, input_rates=(48000,),
                           output_rates=(48000,))  # fmt: skip


def test_devices_prints_an_aligned_table(monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    if not engine_available():
        pytest.skip("needs the media engine")
    devices = [_device(0, "HDA Intel PCH: ALC257 Analog", 2, 2, True, True),
               _device(11, "USB headset", 1, 0, False, False)]  # fmt: skip
    monkeypatch.setattr("siperb.media.audio.list_devices", lambda: devices)
    assert cli.main(["devices"]) == 0
    lines = capsys.readouterr().out.rstrip().splitlines()
    header, first, second = lines[:3]
    assert header.split() == ["#", "name", "host", "API", "in", "out", "rate", "default"]
    assert "AudioDeviceInfo(" not in "\n".join(lines)  # no dataclass reprs
    assert first.split()[0] == "0" and first.endswith("input, output")
    assert second.split()[0] == "11" and second.endswith("-")
    # columns line up: each name starts where the header's does
    col = header.index("name")
    assert first[col:].startswith("HDA Intel") and second[col:].startswith("USB headset")
    assert "--input-device" in lines[-1]


def test_no_devices_says_so(monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    if not engine_available():
        pytest.skip("needs the media engine")
    monkeypatch.setattr("siperb.media.audio.list_devices", lambda: [])
    assert cli.main(["devices"]) == 0
    assert capsys.readouterr().out.startswith("no audio devices found")


def test_devices_without_portaudio_says_what_is_missing() -> None:
    """PortAudio is loaded at run time: without it, `devices` names it and the package."""
    done = _siperb("devices", SIPERB_PORTAUDIO_LIBRARY="/nonexistent/libportaudio.so.2")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "PortAudio, which is not installed" in done.stderr, done.stderr
    assert "/nonexistent/libportaudio.so.2" in done.stderr
    # and the rest works in such a process: codecs, the demo's media engine, SIP parsing
    code = ("import siperb; from siperb.media.codecs import opus; from siperb import sip; "
            "print(len(opus.OpusEncoder(48000, 1).encode(bytes(1920))) > 0, "
            "sip.parse(siperb.cli.SAMPLE_INVITE).method)")  # fmt: skip
    env = _env(SIPERB_PORTAUDIO_LIBRARY="/nonexistent/libportaudio.so.2")
    ok = subprocess.run([sys.executable, "-c", "import siperb.cli; " + code], capture_output=True,
                        text=True, timeout=60, env=env)  # fmt: skip
    assert ok.returncode == 0 and ok.stdout.split() == ["True", "INVITE"], ok.stderr


def test_device_flags_parse_index_name_and_none() -> None:
    args = cli.build_parser().parse_args(["call", "1001", "--input-device", "3",
                                          "--output-device", "USB"])  # fmt: skip
    value = cli.device_value
    assert (value(args.input_device), value(args.output_device)) == (3, "USB")
    args = cli.build_parser().parse_args(["listen", "--input-device", "none"])
    assert value(args.input_device) is False and value(args.output_device) is None


@pytest.mark.timeout(90)
def test_listen_with_a_device_that_does_not_exist_names_it() -> None:
    if not engine_available():
        pytest.skip("needs the media engine")
    with loopback() as port:
        done = _siperb("listen", "--duration", "1", "--input-device", "no-such-microphone-xyz",
                       *_account(port))  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    error = [line for line in done.stdout.splitlines() if "error:" in line]
    assert error and ("no-such-microphone-xyz" in error[0] or "PortAudio" in error[0]), done.stdout


# ---- the demo's recording ----


@pytest.mark.timeout(120)
def test_demo_removes_its_recording_unless_asked_to_keep_it(tmp_path: Path) -> None:
    if not engine_available():
        pytest.skip("needs the media engine")
    done = _siperb("demo", "--hold", "0.2", timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr
    path = re.search(r"; recording (\S+)$", done.stdout, re.M)
    assert path and "recording removed (siperb demo --record FILE keeps it)" in done.stdout
    assert not Path(path.group(1)).exists()
    keep = tmp_path / "call.wav"
    done = _siperb("demo", "--hold", "0.2", "--record", str(keep), timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"; recording {keep}" in done.stdout and "recording removed" not in done.stdout
    assert keep.stat().st_size > 44  # a WAV with samples
