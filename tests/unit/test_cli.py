"""The `siperb` command's offline parts: parse, argument checks, devices, history listing."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from siperb import cli
from siperb.media import engine_available
from siperb.phone.history import History

Capture = pytest.CaptureFixture[str]


def test_parse_still_pretty_prints_a_message(tmp_path: Path, capsys: Capture) -> None:
    f = tmp_path / "invite.sip"
    f.write_bytes(cli.SAMPLE_INVITE)
    assert cli.main(["parse", str(f)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("INVITE request to sip:echo@127.0.0.1;transport=ws")
    assert "CSeq      1 INVITE" in out


def test_parse_reports_a_broken_message(monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"NOT SIP\r\n\r\n"))
    monkeypatch.setattr("sys.stdin", stdin)
    assert cli.main(["parse"]) == 1
    assert capsys.readouterr().err.startswith("siperb: ")


def test_call_with_a_missing_wav_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["call", "1001", "--server", "x", "--wav", "no-such.wav"]) == 2
    err = capsys.readouterr().err
    if engine_available():
        assert "no such WAV file: no-such.wav" in err
    else:
        assert "needs the media engine" in err


def test_devices_lists_what_portaudio_sees_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    if not engine_available():
        pytest.skip("needs the media engine")
    from siperb.media.audio import list_devices

    devices = list_devices()
    assert cli.main(["devices"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    if not devices:
        assert lines == [cli.NO_DEVICES]
        return
    assert len(lines) == len(devices), lines
    for d, line in zip(devices, lines, strict=True):
        assert re.fullmatch(rf"{d.index}: {re.escape(d.name)} \[\d+ in / \d+ out, \d+ Hz\].*",
                            line), line  # fmt: skip


def test_devices_without_the_media_engine_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "siperb.media.audio", None)  # import fails
    assert cli.main(["devices"]) == 1
    assert "needs the media engine" in capsys.readouterr().out


def test_register_without_an_account_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["register", "--once"]) == 1
    assert "--provisioning FILE" in capsys.readouterr().out


def test_bad_provisioning_file_names_the_key(tmp_path: Path, capsys: Capture) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"SipWssServer": "pbx", "SipUsername": "1000", "SipPasword": "x",
                             "SipWebsocketPort": 8089}))  # fmt: skip
    assert cli.main(["register", "--once", "--provisioning", str(f)]) == 1
    assert "did you mean 'SipPassword'" in capsys.readouterr().out


def test_history_lists_newest_first_and_clears(tmp_path: Path, capsys: Capture) -> None:
    db = tmp_path / "h.sqlite3"
    with History("me", db) as h:
        h.record_start("a", "outbound", "sip:1001@x", at=1000.0)
        h.record_answer("a", at=1001.0)
        h.record_end("a", hangup_by="remote", at=1004.5)
        h.record_start("b", "inbound", "sip:1002@x", at=2000.0)
        h.record_end("b", sip_status=487, hangup_by="remote", at=2003.0)
    assert cli.main(["history", "--profile", "me", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "<- sip:1002@x" in lines[0] and "missed" in lines[0] and "SIP 487" in lines[0]
    assert "-> sip:1001@x" in lines[1] and "answered" in lines[1] and "3.50 s" in lines[1]
    assert cli.main(["history", "--profile", "other", "--db", str(db)]) == 0
    assert "no calls recorded for other" in capsys.readouterr().out
    assert cli.main(["history", "--profile", "me", "--db", str(db), "--clear"]) == 0
    assert "cleared 2 calls" in capsys.readouterr().out
    assert cli.main(["history", "--db", str(db)]) == 2


# ---- papercuts of issue #15 ----


def test_make_build_writes_a_siperb_console_script(tmp_path: Path) -> None:
    """`make build` leaves `siperb` in the venv (checked on the recipe `make -n` prints)."""
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("make") is None:
        pytest.skip("no make")
    root = Path(__file__).resolve().parents[2]
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    plan = subprocess.run(["make", "-n", "-C", str(root), "build", f"VENV={venv}",
                           f"PY={sys.executable}"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    script = [line for line in plan.splitlines() if str(venv / "bin" / "siperb") in line]
    assert script, plan
    for line in script:
        subprocess.run(line, shell=True, check=True, cwd=root)
    env = {**os.environ, "PYTHONPATH": str(root / "python")}
    sample = cli.SAMPLE_INVITE.decode()
    done = subprocess.run([str(venv / "bin" / "siperb"), "parse", "-"], input=sample, text=True,
                          capture_output=True, env=env, timeout=60)  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("INVITE request"), done.stderr


def test_devices_says_when_there_is_none(monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    if not engine_available():
        pytest.skip("needs the media engine")
    monkeypatch.setattr("siperb.media.audio.list_devices", lambda: [])
    assert cli.main(["devices"]) == 0
    assert capsys.readouterr().out.strip() == cli.NO_DEVICES


def test_history_by_user_needs_no_password(tmp_path: Path, capsys: Capture) -> None:
    db = tmp_path / "h.db"
    assert cli.main(["history", "--user", "1000", "--domain", "pbx.example", "--db",
                     str(db)]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "no calls recorded for sip:1000@pbx.example" in captured.out, captured


def test_wss_to_a_plain_ws_server_names_the_option(capsys: Capture) -> None:
    """A server given without ws:// is tried as wss://; a plain server resets the TLS hello."""
    from loopback_thread import loopback

    with loopback() as port:
        argv = ["register", "--once", "--server", "127.0.0.1", "--port", str(port),
                "--path", "/ws", "--user", "demo", "--password", "demo-secret"]  # fmt: skip
        code = cli.main(argv)
    out = capsys.readouterr().out
    error = [line for line in out.splitlines() if "error:" in line]
    assert code == 1 and error, out
    assert "cannot open WSS" in error[0] and "TLS handshake" in error[0], out
    assert "--ws" in error[0] and "--server ws://HOST" in error[0], out


def test_transport_and_ca_file_flags(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    args = cli.build_parser().parse_args(
        ["register", "--server", "pbx.example", "--port", "5061", "--user", "u", "--password",
         "p", "--transport", "tls", "--ca-file", str(ca)])  # fmt: skip
    prov = cli._provisioning(args)
    assert prov.proxy_uri == "sip:pbx.example:5061;transport=tls"
    assert prov.sip_ca_file == str(ca) and prov.tls_verify
