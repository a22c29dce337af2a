"""``siperb ui`` opens the phone in a real Chromium app window (``chromium --app=URL``).

The CLI runs as a user would start it (``python -m siperb ui --demo``), on a virtual X display
(Xvfb, started here and stopped by its pid). The ``chromium`` it finds on PATH is a two-line
wrapper that adds only what a test needs (``--no-sandbox``: the tests run as root; a private
profile; a DevTools port on 127.0.0.1 to look inside) and then runs Debian's Chromium with the
CLI's own arguments. Through DevTools the test finds the app window's page at the printed URL
and sees it registered: the page loaded and its control WebSocket carries the phone's state.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from peers.browser import CHROMIUM, unavailable_reason
from peers.ports import free_port
from peers.procs import terminate

pytestmark = [pytest.mark.timeout(90), pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    """A private Xvfb display (unix socket only, no TCP), stopped by its pid afterwards."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb not installed (Debian xvfb; scripts/bootstrap.sh)")
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=(tmp_path / "xvfb.log").open("w"),
    )  # fmt: skip
    os.close(write)
    try:
        with os.fdopen(read) as f:
            number = f.readline().strip()  # Xvfb writes the display it took once it is ready
        assert number.isdigit(), f"Xvfb did not start: {(tmp_path / 'xvfb.log').read_text()}"
        yield f":{number}"
    finally:
        terminate(proc)


def _chromium_wrapper(directory: Path, port: int) -> Path:
    """``chromium`` for PATH: records its pid and arguments, adds the test's flags."""
    bindir = directory / "bin"
    bindir.mkdir()
    wrapper = bindir / "chromium"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo $$ > {directory}/chromium.pid; printf "%s\\n" "$@" > {directory}/chromium.args\n'
        f"exec {CHROMIUM} --no-sandbox --disable-gpu --no-first-run --disable-sync"
        " --disable-background-networking --disable-component-update"
        f" --user-data-dir={directory}/profile --remote-debugging-address=127.0.0.1"
        f' --remote-debugging-port={port} "$@"\n'
    )
    wrapper.chmod(0o755)
    return bindir


def test_siperb_ui_opens_an_app_window_that_connects(display: str, tmp_path: Path) -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    port = free_port()
    bindir = _chromium_wrapper(tmp_path, port)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "DISPLAY": display,
           "PATH": f"{bindir}:{os.environ.get('PATH', '')}", "HOME": str(tmp_path)}  # fmt: skip
    cli = subprocess.Popen([sys.executable, "-m", "siperb", "ui", "--demo", "--duration", "60"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                           env=env)  # fmt: skip
    chromium_pid: int | None = None
    try:
        assert cli.stdout is not None
        line = cli.stdout.readline()
        assert line.startswith("phone UI: http://127.0.0.1:"), line + (cli.stderr.read() or "")
        url = line.split(": ", 1)[1].strip()
        pid_file = tmp_path / "chromium.pid"
        deadline = time.monotonic() + 20
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pid_file.exists(), "siperb ui started no chromium"
        chromium_pid = int(pid_file.read_text())
        args = (tmp_path / "chromium.args").read_text().split("\n")
        assert f"--app={url}" in args, args  # an app window of this frame's URL
        with sync_playwright() as pw:
            browser = None
            while browser is None:
                try:
                    browser = pw.chromium.connect_over_cdp(f"http://127.0.0.1:{port}",
                                                           timeout=5_000)  # fmt: skip
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            page = None
            while page is None and time.monotonic() < deadline:
                pages = [p for c in browser.contexts for p in c.pages if p.url == url]
                page = pages[0] if pages else None
                time.sleep(0.1)
            assert page is not None, [p.url for c in browser.contexts for p in c.pages]
            page.wait_for_selector("#reg[data-state='registered']", timeout=15_000)
            assert page.evaluate("() => window.siperbFrame !== undefined")
            size = page.evaluate("() => [window.outerWidth, window.outerHeight]")
            print(f"app window {size} at {url.split('/f/')[0]}/f/…, registered")
    finally:
        cli.send_signal(signal.SIGINT)
        try:
            code = cli.wait(15)
        except subprocess.TimeoutExpired:
            cli.kill()
            code = cli.wait(5)
        if chromium_pid is not None:  # its own session (start_new_session): the whole tree
            with contextlib.suppress(ProcessLookupError):
                os.killpg(chromium_pid, signal.SIGTERM)
    assert code == 0, cli.stderr.read() if cli.stderr else code
