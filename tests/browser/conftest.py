"""Chromium fixtures: one browser per test module (launching costs seconds), pages per test."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peers.browser import Browser, chromium_or_skip

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts" / "ui"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = chromium_or_skip()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (kept by CI as test artefacts, not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class PhoneHost:
    """An asyncio loop on its own thread (Playwright's sync API owns the main one) running the
    loopback SIP service and the phones with their WebFrames."""

    def __init__(self) -> None:
        import asyncio
        import threading

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="phone-host",
                                       daemon=True)  # fmt: skip
        self.thread.start()
        self.svc: Any = None
        self.phones: list[Any] = []

    def run(self, coro: Any, timeout: float = 20.0) -> Any:
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start_service(self) -> Any:
        from siperb.demo import LoopbackService

        self.svc = self.run(LoopbackService(callback_delay=0.2).start())
        return self.svc

    def phone(self, *, allowed_origins: Sequence[str] = (), media: bool = True,
              **options: Any) -> tuple[Any, Any]:  # fmt: skip
        """(phone, frame): a registered phone whose PhoneFrame is a started WebFrame."""
        from siperb.demo import manual_provisioning
        from siperb.media import EngineMediaControl, engine_available
        from siperb.phone import ProvisionPhone
        from siperb.phone.history import MEMORY
        from siperb.phone.media_control import NoMediaEngine
        from siperb.ui import WebFrame

        async def make() -> tuple[Any, Any]:
            frame = await WebFrame(allowed_origins=list(allowed_origins)).start()
            control = (EngineMediaControl(auto_device=False) if media and engine_available()
                       else NoMediaEngine())  # fmt: skip
            opts = {"Provisioning": manual_provisioning(self.svc.port), "PhoneFrame": frame,
                    "ProfileUserId": f"browser-{len(self.phones)}", "SessionId": "s",
                    "UserId": "u", **options}  # fmt: skip
            phone = await ProvisionPhone(opts, history_path=MEMORY, media_control=control)
            return phone, frame

        phone, frame = self.run(make())
        self.phones.append((phone, frame))
        return phone, frame

    def close_phone(self, phone: Any, frame: Any) -> None:
        async def close() -> None:
            await phone.close()
            await frame.close()

        self.run(close())
        self.phones.remove((phone, frame))

    def close(self) -> None:
        for phone, frame in list(self.phones):
            with contextlib.suppress(Exception):
                self.close_phone(phone, frame)
        if self.svc is not None:
            with contextlib.suppress(Exception):
                self.run(self.svc.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def host() -> Iterator[PhoneHost]:
    h = PhoneHost()
    h.start_service()
    try:
        yield h
    finally:
        h.close()
