"""What TLS costs the PhoneFrame: a fresh client loading the page (index.html, app.js,
app.css, each on a new connection, as a browser's first visit may) and opening the control
WebSocket until the ``hello`` arrives, over https/wss (a non-loopback bind's only choice, here
on 127.0.0.1 with a test CA's certificate) against plain http/ws on loopback, in the same run.

Run: ``PYTHONPATH=python:tests .venv/bin/python -m pytest benchmarks/bench_ui_tls.py
--benchmark-only -s``; the medians and the ratio are printed after the module.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from peers.tls_ca import TestCa
from siperb.ui import WebFrame

RESULTS: dict[str, float] = {}
FILES = ("", "app.js", "app.css")


class Served:
    """A started frame on a loop thread (no phone: the page and its hello only)."""

    def __init__(self, **kwargs: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.frame = asyncio.run_coroutine_threadsafe(WebFrame(**kwargs).start(),
                                                      self.loop).result(10)  # fmt: skip

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.frame.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCa:
    return TestCa(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module", autouse=True)
def _print_ratio(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if len(RESULTS) < 2 or reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for name, median in RESULTS.items():
            reporter.write_line(f"{name:8s} page + socket hello, median {median * 1e3:6.2f} ms")
        reporter.write_line(f"https / http = {RESULTS['https'] / RESULTS['http']:.2f}x")


def _visit(frame: WebFrame, context: ssl.SSLContext | None) -> int:
    """Load the page's files and get the socket's hello; the bytes read."""
    total = 0
    for name in FILES:
        with urllib.request.urlopen(frame.url + name, timeout=5, context=context) as r:
            total += len(r.read())

    async def hello() -> int:
        from websockets.asyncio.client import connect

        ws_url = frame.url.replace("http", "ws", 1) + "ws"
        kw: dict[str, Any] = {"ssl": context} if context is not None else {}
        async with connect(ws_url, origin=frame.origin, **kw) as ws:  # type: ignore[arg-type]
            await ws.send(json.dumps({"id": 1, "op": "hello", "languages": ["en"]}))
            return len(await ws.recv())

    return total + asyncio.run(hello())


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_page_and_socket(benchmark: Any, ca: TestCa, scheme: str) -> None:
    tls: dict[str, Any] = {}
    client = None
    if scheme == "https":
        cert, key = ca.issue(["127.0.0.1"], "bench")
        tls = {"certificate": cert, "key": key}
        client = ssl.create_default_context(cafile=str(ca.ca_pem))
    served = Served(**tls)
    try:
        assert served.frame.url.startswith(f"{scheme}://")
        assert _visit(served.frame, client) > 30_000  # the whole page came
        benchmark.pedantic(_visit, args=(served.frame, client), rounds=30, iterations=1)
        RESULTS[scheme] = benchmark.stats.stats.median
    finally:
        served.close()
