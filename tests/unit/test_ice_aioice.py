"""Our IceAgent against an independent ICE agent, aioice (aiortc's), over real UDP sockets on
127.0.0.1: both role assignments, nomination, and data on the selected pair."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

import pytest

from siperb import _core

aioice = pytest.importorskip("aioice")
pytestmark = pytest.mark.timeout(30)


class Driver:
    """Runs a sans-IO IceAgent on a non-blocking UDP socket inside the event loop."""

    def __init__(self, agent: _core.IceAgent) -> None:
        self.agent = agent
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.addr: tuple[str, int] = self.sock.getsockname()
        self.media: list[tuple[bytes, tuple[str, int]]] = []
        self._wake = asyncio.Event()

    def _flush(self) -> None:
        while (t := self.agent.poll_transmit()) is not None:
            self.sock.sendto(t[1], t[0])

    def _readable(self) -> None:
        while True:
            try:
                data, src = self.sock.recvfrom(65536)
            except BlockingIOError:
                break
            if data and data[0] < 4:
                self.agent.on_stun(data, src, False, time.monotonic_ns())
            else:
                self.media.append((data, src))
        self._flush()
        self._wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.sock.fileno(), self._readable)
        try:
            while True:
                self._flush()
                delay = (self.agent.next_deadline() - time.monotonic_ns()) / 1e9
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(0.0, min(delay, 0.05)))
                if self.agent.next_deadline() <= time.monotonic_ns():
                    self.agent.on_timeout(time.monotonic_ns())
        finally:
            loop.remove_reader(self.sock.fileno())
            self.sock.close()


async def connect(ours_controlling: bool, monkeypatch: Any) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    theirs = aioice.Connection(ice_controlling=not ours_controlling, components=1, use_ipv6=False)
    agent = _core.IceAgent(role="controlling" if ours_controlling else "controlled")
    ours = Driver(agent)
    agent.add_host_candidate(ours.addr)
    await theirs.gather_candidates()
    now = time.monotonic_ns()
    agent.set_remote_credentials(theirs.local_username, theirs.local_password, now)
    for c in theirs.local_candidates:
        parsed = _core.parse_candidate(c.to_sdp())
        assert parsed is not None
        agent.add_remote_candidate(parsed, now)
    agent.end_of_remote_candidates()
    theirs.remote_username = agent.local_ufrag
    theirs.remote_password = agent.local_pwd
    for c in agent.local_candidates():
        await theirs.add_remote_candidate(aioice.Candidate.from_sdp(c.to_sdp()))
    await theirs.add_remote_candidate(None)
    agent.start(time.monotonic_ns())
    task = asyncio.create_task(ours.run())
    try:
        await asyncio.wait_for(theirs.connect(), 10)
        end = time.monotonic() + 5
        while agent.state != "completed" and time.monotonic() < end:
            await asyncio.sleep(0.01)
        assert agent.state == "completed"
        their_addr = theirs.local_candidates[0].host, theirs.local_candidates[0].port
        assert agent.selected_remote() == their_addr
        # Media on the nominated pair, both ways.
        await theirs.send(b"\x80media-from-aioice")
        end = time.monotonic() + 2
        while not ours.media and time.monotonic() < end:
            await asyncio.sleep(0.01)
        assert ours.media == [(b"\x80media-from-aioice", their_addr)]
        assert agent.is_selected_remote(their_addr)
        ours.sock.sendto(b"\x80media-from-siperb", their_addr)
        assert await asyncio.wait_for(theirs.recv(), 2) == b"\x80media-from-siperb"
        assert agent.role == ("controlling" if ours_controlling else "controlled")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await theirs.close()


def test_we_control_aioice(monkeypatch: Any) -> None:
    asyncio.run(connect(True, monkeypatch))


def test_aioice_controls_us(monkeypatch: Any) -> None:
    asyncio.run(connect(False, monkeypatch))
