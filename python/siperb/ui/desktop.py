"""``siperb ui``: the web phone for a desktop user, in an app window or the default browser."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
import webbrowser

from ..demo import LoopbackService
from ..demo.runner import manual_provisioning
from ..phone import Phone
from ..phone.options import PhoneOptions
from ..phone.provisioning import Provisioning
from .server import WebFrame
from .tls import LOOPBACK_HOSTS

_APP_BROWSERS = ("chromium", "google-chrome", "chrome")


def _open(url: str) -> None:
    """An app window of Chromium where there is one (no tabs, no address bar), else the
    default browser."""
    exe = next(filter(None, map(shutil.which, _APP_BROWSERS)), None)
    if exe is None:
        webbrowser.open(url)
        return
    subprocess.Popen([exe, f"--app={url}"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


async def run_desktop(
    prov: Provisioning | None,
    *,
    port: int = 0,
    open_window: bool = True,
    duration: float | None = None,
    profile: str | None = None,
    session_id: str = "siperb-cli",
    user_id: str | None = None,
    language: str = "auto",
    db: str | None = None,
    bind: str = "127.0.0.1",
    certificate: str | None = None,
    key: str | None = None,
) -> int:
    """Serve the frame for ``prov`` (``None``: the built-in loopback demo service) until
    Ctrl-C or ``duration`` seconds; prints the URL first. ``bind``: the page's address; any
    but loopback is served over TLS only (``certificate``/``key``) and offers "This browser"
    as the audio device (the person is at another machine)."""
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        if prov is None:
            svc = await stack.enter_async_context(LoopbackService())
            prov = manual_provisioning(svc.port)
        remote = bind not in LOOPBACK_HOSTS
        frame = await stack.enter_async_context(WebFrame(
            host=bind, port=port, certificate=certificate, key=key, browser_audio=remote,
        ))  # fmt: skip
        options = PhoneOptions.from_kwargs(
            provisioning=prov, phone_frame=frame, profile_user_id=profile or prov.aor,
            session_id=session_id, user_id=user_id or prov.user, language=language,
            enable_settings=True,
        )  # fmt: skip
        phone = Phone(options, history_path=db)
        stack.push_async_callback(phone.close)
        await phone.start()
        print(f"phone UI: {frame.url}", flush=True)
        if open_window:
            _open(frame.url)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), duration)
    return 0


__all__ = ["run_desktop"]
