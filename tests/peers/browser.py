"""Debian's Chromium driven by Playwright (PyPI), bounded in time and closed reliably.

Playwright's own browser download does not work here (and must never be run: no network), so
the system browser is launched with ``executable_path``. Use as a context manager::

    with launch_chromium(extra_args=FAKE_MEDIA_ARGS) as browser:
        page = browser.new_page()
        page.goto(url)

or through ``chromium_or_skip()`` in a pytest fixture, which skips with a clear message only
when ``/usr/bin/chromium`` or the ``playwright`` package is missing (CI installs both).
Playwright's driver (a Node process) and Chromium run in their own process group through
Playwright; ``close()`` stops the browser, then the driver, each bounded, and an atexit hook
does it for browsers a crashed test left open.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .procs import sanitizer_env_removed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_PACKAGE = "chromium"

# Headless flags that keep Chromium quiet and offline (see /work/shared/PEERS.md).
BASE_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

# Fake microphone/camera and auto-accepted permission prompts; WebRTC between loopback peers.
FAKE_MEDIA_ARGS: tuple[str, ...] = (
    "--allow-loopback-in-peer-connection",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
)

DEFAULT_TIMEOUT_MS = 15_000
LAUNCH_TIMEOUT_MS = 30_000

_live: set[Browser] = set()
_live_lock = threading.Lock()


def unavailable_reason() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} not installed (Debian package {CHROMIUM_PACKAGE}; scripts/bootstrap.sh)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "playwright not installed (pip install -r requirements-dev.txt;"
            " never `playwright install`)"
        )
    return None


def fake_audio_args(wav: Path) -> tuple[str, ...]:
    """FAKE_MEDIA_ARGS plus a WAV file as the fake microphone (Chromium loops it)."""
    return (*FAKE_MEDIA_ARGS, f"--use-file-for-fake-audio-capture={wav}")


class Browser:
    """One Chromium with its Playwright driver; pages from :meth:`new_page` share it.

    ``console_errors`` collects every console error and uncaught page exception of every page
    made here, so a test can assert the page logged none.
    """

    def __init__(
        self,
        *,
        extra_args: Sequence[str] = (),
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        headless: bool = True,
        executable: str = CHROMIUM,
    ) -> None:
        reason = unavailable_reason()
        if reason is not None:
            raise RuntimeError(reason)
        from playwright.sync_api import sync_playwright

        self.timeout_ms = timeout_ms
        self.console_errors: list[str] = []
        self._pw_cm = sync_playwright()
        with sanitizer_env_removed():  # make test-asan*: not for the driver and the browser
            self._pw = self._pw_cm.__enter__()
        self._closed = False
        try:
            self.browser = self._pw.chromium.launch(
                executable_path=executable,  # a wrapper may start it in a test namespace
                headless=headless,
                args=[*BASE_ARGS, *extra_args],
                timeout=LAUNCH_TIMEOUT_MS,
                handle_sigint=False,
                handle_sigterm=False,
                handle_sighup=False,
            )
        except BaseException:
            self._stop_driver()
            raise
        with _live_lock:
            _live.add(self)

    @property
    def version(self) -> str:
        return str(self.browser.version)

    def new_context(self, **kwargs: Any) -> Any:
        """A fresh context (cookies, storage, emulation: viewport, color_scheme, locale)."""
        ctx = self.browser.new_context(**kwargs)
        ctx.set_default_timeout(self.timeout_ms)
        ctx.set_default_navigation_timeout(self.timeout_ms)
        ctx.on("page", self._watch)
        return ctx

    def new_page(self, **context_kwargs: Any) -> Any:
        """A page in its own new context; closing the browser closes it."""
        ctx = self.new_context(**context_kwargs)
        page = ctx.new_page()
        return page

    def _watch(self, page: Any) -> None:
        def on_console(msg: Any) -> None:
            if msg.type == "error":
                self.console_errors.append(f"{page.url}: console: {msg.text}")

        def on_error(exc: Any) -> None:
            self.console_errors.append(f"{page.url}: pageerror: {exc}")

        page.on("console", on_console)
        page.on("pageerror", on_error)

    def close(self) -> None:
        """Close the browser and stop the driver; idempotent, bounded, never raises."""
        if self._closed:
            return
        self._closed = True
        with _live_lock:
            _live.discard(self)
        with contextlib.suppress(Exception):
            self.browser.close()
        self._stop_driver()

    def _stop_driver(self) -> None:
        proc = getattr(getattr(self._pw_cm, "_connection", None), "_transport", None)
        proc = getattr(proc, "_proc", None)
        with contextlib.suppress(Exception):
            self._pw_cm.__exit__(None, None, None)
        # If the driver survived (a hung browser), kill it by its own pid.
        pid = getattr(proc, "pid", None)
        if isinstance(pid, int) and getattr(proc, "returncode", 0) is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def launch_chromium(
    *, extra_args: Sequence[str] = (), timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> Iterator[Browser]:
    """A headless Chromium for the duration of the ``with`` block."""
    browser = Browser(extra_args=extra_args, timeout_ms=timeout_ms)
    try:
        yield browser
    finally:
        browser.close()


def chromium_or_skip(
    *, extra_args: Sequence[str] = (), timeout_ms: int = DEFAULT_TIMEOUT_MS,
    executable: str = CHROMIUM,
) -> Browser:  # fmt: skip
    """A started Browser, or ``pytest.skip`` naming what is missing (only when it is missing)."""
    import pytest

    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    return Browser(extra_args=extra_args, timeout_ms=timeout_ms, executable=executable)


def close_all() -> None:
    with _live_lock:
        browsers = list(_live)
    for b in browsers:
        b.close()


atexit.register(close_all)

__all__ = [
    "BASE_ARGS",
    "CHROMIUM",
    "FAKE_MEDIA_ARGS",
    "Browser",
    "chromium_or_skip",
    "close_all",
    "fake_audio_args",
    "launch_chromium",
    "unavailable_reason",
]
