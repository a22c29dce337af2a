"""`siperb listen` tried without a PBX: the loopback demo service calls the listening phone."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from siperb import sip
from siperb.demo import DEMO_PASSWORD, DEMO_USER, LoopbackService

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(60)
def test_siperb_listen_answers_the_services_call(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    svc = LoopbackService()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(svc.start(), loop).result(10)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "LANG": "C.UTF-8"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "siperb", "listen", "--ws", "--server", "127.0.0.1", "--port",
         str(svc.port), "--path", "/ws", "--user", DEMO_USER, "--password", DEMO_PASSWORD,
         "--db", str(tmp_path / "h.sqlite3"), "--max-calls", "1", "--duration", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while not svc.registered(DEMO_USER) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert svc.registered(DEMO_USER), "siperb listen did not register"

        async def ring_talk_hang_up() -> str:
            call = await svc.call(DEMO_USER)
            state = await call.wait_for(sip.session.CallState.ESTABLISHED, timeout=10)
            await asyncio.sleep(0.3)
            await call.hangup()
            return state.value

        state = asyncio.run_coroutine_threadsafe(ring_talk_hang_up(), loop).result(20)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        asyncio.run_coroutine_threadsafe(svc.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    assert state == "established", out
    assert proc.returncode == 0, out
    assert "waiting for calls" in out and "sip:echo@127.0.0.1" in out, out
    assert "(established)" in out and "(terminated)" in out, out
