"""The PhoneFrame web UI: how fast it is ready, how fast a click reaches the wire, how heavy.

- "registered": from ``ProvisionPhone`` (with a WebFrame) to Chromium showing "Registered" in
  the page, against the same phone headless (``ProvisionPhone`` returning registered, no UI):
  the difference is what the UI costs.
- "dial to INVITE": from a click on "Call" in the page to the INVITE arriving at the loopback
  service, against ``phone.dial()`` from Python (what an application without the UI does).
- page weight: bytes of every file the page loads (no external asset), as served to Chromium.

Everything on loopback, against the in-process loopback SIP service (no outside peer).
Run: ``PYTHONPATH=python:tests .venv/bin/python -m pytest benchmarks/bench_ui.py -s``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))

from ui_host import PhoneHost

from peers.browser import Browser, unavailable_reason
from siperb.ui import page_weight

ROUNDS = 10


@pytest.fixture(scope="module")
def host() -> Iterator[PhoneHost]:
    h = PhoneHost()
    h.start_service()
    yield h
    h.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    b = Browser()
    yield b
    b.close()


def _invite_clock(host: PhoneHost) -> list[float]:
    """perf_counter() of each INVITE the service receives (same process, same clock)."""
    seen: list[float] = []
    svc = host.svc
    original = svc._on_request

    def on_request(request: Any, tx: Any) -> None:
        if request.method == "INVITE" and request.to is not None and request.to.tag is None:
            seen.append(time.perf_counter())
        original(request, tx)

    svc._on_request = on_request
    if svc._layer is not None:
        svc._layer.on_request = on_request
    return seen


def test_registered_in_the_ui(benchmark: Any, host: PhoneHost, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 320, "height": 320})

    def once() -> None:
        t0 = time.perf_counter()
        phone, frame = host.phone(media=False)
        page.goto(frame.url)
        page.wait_for_selector("#reg[data-state=registered]")
        benchmark.extra_info.setdefault("ms", []).append((time.perf_counter() - t0) * 1000)
        host.close_phone(phone, frame)

    benchmark.group = "ProvisionPhone to registered"
    benchmark.extra_info["impl"] = "siperb (UI in Chromium)"
    benchmark.pedantic(once, rounds=ROUNDS, warmup_rounds=1)
    page.context.close()


def test_registered_headless(benchmark: Any, host: PhoneHost) -> None:
    from siperb.demo import manual_provisioning
    from siperb.phone import ProvisionPhone
    from siperb.phone.history import MEMORY
    from siperb.phone.media_control import NoMediaEngine

    async def provision() -> Any:
        opts = {"Provisioning": manual_provisioning(host.svc.port), "ProfileUserId": "bench",
                "SessionId": "s", "UserId": "u"}  # fmt: skip
        phone = await ProvisionPhone(opts, history_path=MEMORY, media_control=NoMediaEngine())
        await phone.close()

    benchmark.group = "ProvisionPhone to registered"
    benchmark.extra_info["impl"] = "siperb"
    benchmark.pedantic(lambda: host.run(provision()), rounds=ROUNDS, warmup_rounds=1)


def test_click_dial_to_invite(benchmark: Any, host: PhoneHost, browser: Browser) -> None:
    seen = _invite_clock(host)
    phone, frame = host.phone(media=False)
    page = browser.new_page(viewport={"width": 320, "height": 320})
    page.goto(frame.url)
    page.wait_for_selector("#reg[data-state=registered]")
    delays: list[float] = []

    def once() -> None:
        page.fill("#target", "echo")
        before = len(seen)
        t0 = time.perf_counter()
        page.click("#btn-dial")
        deadline = time.monotonic() + 5
        while len(seen) == before and time.monotonic() < deadline:
            time.sleep(0.0005)
        delays.append((seen[before] - t0) * 1000)
        page.wait_for_selector(".callline[data-state=established]")
        for call in list(phone.calls):
            host.run(phone.end_call(call))
        page.wait_for_selector(".callline", state="detached")

    benchmark.group = "dial to INVITE on the wire"
    benchmark.extra_info["impl"] = "siperb (click in Chromium)"
    benchmark.pedantic(once, rounds=ROUNDS, warmup_rounds=1)
    delays.sort()
    benchmark.extra_info["click_to_invite_median_ms"] = delays[len(delays) // 2]
    print(f"\nclick 'Call' -> INVITE at the service: median {delays[len(delays) // 2]:.1f} ms "
          f"(min {delays[0]:.1f}, max {delays[-1]:.1f}) over {len(delays)} clicks")  # fmt: skip
    page.context.close()
    host.close_phone(phone, frame)


def test_api_dial_to_invite(benchmark: Any, host: PhoneHost) -> None:
    seen = _invite_clock(host)
    phone, frame = host.phone(media=False)
    delays: list[float] = []

    def once() -> None:
        before = len(seen)
        t0 = time.perf_counter()
        call = host.run(phone.dial("echo"))
        deadline = time.monotonic() + 5
        while len(seen) == before and time.monotonic() < deadline:
            time.sleep(0.0005)
        delays.append((seen[before] - t0) * 1000)
        host.run(call.wait_for("established", timeout=5))
        host.run(phone.end_call(call))

    benchmark.group = "dial to INVITE on the wire"
    benchmark.extra_info["impl"] = "siperb"
    benchmark.pedantic(once, rounds=ROUNDS, warmup_rounds=1)
    delays.sort()
    print(f"\nphone.dial() -> INVITE at the service: median {delays[len(delays) // 2]:.1f} ms")
    host.close_phone(phone, frame)


def test_page_weight(host: PhoneHost, browser: Browser) -> None:
    """Bytes Chromium loads for the page (every response), and that nothing is external."""
    phone, frame = host.phone(media=False)
    page = browser.new_page()
    loaded: list[tuple[str, int]] = []
    page.on("response", lambda r: loaded.append((r.url, len(r.body()))))
    page.goto(frame.url)
    page.wait_for_selector("#reg[data-state=registered]")
    total = sum(n for _, n in loaded)
    print(f"\npage weight: {total} bytes in {len(loaded)} responses "
          f"(static files {page_weight()} bytes); origins: "
          f"{sorted({u.split('/f/')[0] for u, _ in loaded})}")  # fmt: skip
    assert all(u.startswith(frame.origin) for u, _ in loaded)
    page.context.close()
    host.close_phone(phone, frame)
