"""A call's media session starts off the event loop, in order (issue 17: setup time at 500
concurrent calls). The first ``MediaSession.start`` waits for the engine thread; it runs on the
engine's ordered command queue (siperb.media.commands), so the loop never waits for it, and a
start, a later hold and a close of the same session keep their order. A start the engine
refuses still ends the call with that error (``not_acceptable``, 488, an ``sdp_refused`` event),
on both the calling and the answering side."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from media_helpers import wait_until

from siperb import media
from siperb.errors import MediaError
from siperb.media import EngineMedia, engine_available
from siperb.media.commands import CommandQueue
from siperb.sdp import Codec, Direction
from siperb.sip.session import CallState, Outcome
from siperb.sip.useragent import UserAgent, UserAgentConfig

pytestmark = pytest.mark.skipif(not engine_available(), reason="built without the media engine")


class Spy:
    """Stands for a native session: notes each command and the thread it ran on."""

    def __init__(self, native: Any, log: list[tuple[str, str]], fail_start: bool = False):
        self._native, self._log, self._fail = native, log, fail_start

    def __getattr__(self, name: str) -> Any:
        return getattr(self._native, name)

    def _note(self, what: str) -> None:
        self._log.append((what, threading.current_thread().name))

    def start(self, params: Any) -> None:
        self._note("start:" + str(params.direction))
        if self._fail:
            raise MediaError("the engine refused the stream", field="codec", reason="test")
        self._native.start(params)

    def set_source(self, source: Any) -> None:
        self._note("set_source")
        self._native.set_source(source)

    def close(self) -> None:
        self._note("close")
        self._native.close()


def spied(m: EngineMedia, log: list[tuple[str, str]], fail_start: bool = False) -> None:
    assert m.session is not None
    m.session._native = Spy(m.session._native, log, fail_start)


def test_start_hold_and_close_run_off_the_loop_in_order() -> None:
    """Failed before: ``apply_answer`` started the session on the calling thread, waiting for
    the engine thread (the queue held back, the session was started anyway)."""

    async def main() -> None:
        engine = media.Engine()
        try:
            a = EngineMedia(codecs=[Codec.pcmu()], engine=engine)
            b = EngineMedia(codecs=[Codec.pcmu()], engine=engine)
            log: list[tuple[str, str]] = []
            spied(a, log)
            gate = threading.Event()
            assert a.session is not None
            engine.commands.submit(lambda: gate.wait(10), key=a.session.id)  # its lane is busy
            a.apply_answer(b.create_answer(a.create_offer()))
            assert not a.session.started, "the loop waited for the engine"
            a.apply_answer(b.update(a.hold(Direction.SENDONLY)))
            a.set_source(media.MemorySource(media.tone(400, 1), 8000, loop=True))
            a.close()
            assert a.session.closed, "closed at once for the caller"
            assert log == [], "nothing ran on the loop"
            gate.set()
            await asyncio.to_thread(engine.commands.drain, 10)
            assert [what for what, _ in log] == [
                "start:sendrecv", "start:sendonly", "set_source", "close"]  # fmt: skip
            assert all(t.startswith("siperb-media") for _, t in log), log
            assert len({t for _, t in log}) == 1, "one session: one lane"
            assert a.session._native._native.closed
            b.close()
            await asyncio.to_thread(engine.commands.drain, 10)
        finally:
            engine.stop()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_a_command_queue_runs_in_order_and_reports_failures() -> None:
    q = CommandQueue("test-queue")
    done: list[int] = []
    errors: list[str] = []

    def fail() -> None:
        raise MediaError("no", field="x", reason="y")

    for i in range(50):
        q.submit(lambda i=i: done.append(i), key=3)  # type: ignore[misc]
    q.submit(fail, lambda exc: errors.append(str(exc)), key=3)
    q.submit(lambda: done.append(50), key=3)
    others: list[int] = []
    for key in range(20):
        q.submit(lambda key=key: others.append(key), key=key)  # type: ignore[misc]
    q.drain(10)
    assert done == list(range(51)), "one key: in order"
    assert len(errors) == 1 and "no" in errors[0]
    assert sorted(others) == list(range(20))


def _config(user: str, proxy: str, make: Any) -> UserAgentConfig:
    return UserAgentConfig(
        aor=f"sip:{user}@127.0.0.1", proxy=proxy, udp_keepalive_interval=None,
        media_factory=make, auto_answer=lambda c: True,
    )  # fmt: skip


@pytest.mark.parametrize("failing", ["caller", "callee"])
def test_a_refused_start_ends_the_call_with_the_engines_error(failing: str) -> None:
    """The caller's side failed the same way before (its start raised inside the 200's
    handling); the callee's start raised out of ``answer()`` and left its call half answered."""
    log: list[tuple[str, str]] = []

    def make(fail: bool) -> Any:
        def build(ua: Any) -> EngineMedia:
            m = EngineMedia(ua.media_host(), [Codec.pcmu()])
            spied(m, log, fail_start=fail)
            return m

        return build

    async def main() -> None:
        callee = UserAgent(
            _config("bob", "sip:127.0.0.1:9;transport=udp", make(failing == "callee"))
        )
        await callee.start(register=False)
        port = callee.local_endpoint().port
        caller = UserAgent(
            _config("alice", f"sip:127.0.0.1:{port};transport=udp", make(failing == "caller"))
        )
        await caller.start(register=False)
        incoming: list[Any] = []
        refused: list[Any] = []
        callee.events.on("incoming_call", lambda e: incoming.append(e["call"]))
        (caller if failing == "caller" else callee).events.on("sdp_refused", refused.append)
        try:
            call = await caller.call(f"sip:bob@127.0.0.1:{port}")
            await asyncio.wait_for(call.wait_for(CallState.ESTABLISHED, CallState.TERMINATED), 10)
            while not incoming:
                await asyncio.sleep(0.01)
            mine = call if failing == "caller" else incoming[0]
            await asyncio.wait_for(mine.ended, 10)
            assert mine.outcome is Outcome.NOT_ACCEPTABLE, (mine.outcome, mine.reason)
            assert mine.status == 488 and "the engine refused the stream" in mine.reason
            assert len(refused) == 1 and "refused the stream" in refused[0]["reason"]
            if failing == "caller":  # (the callee's BYE would go to its dummy proxy)
                await asyncio.wait_for(incoming[0].ended, 10)
                assert incoming[0].outcome is Outcome.COMPLETED  # by our BYE
        finally:
            await caller.close()
            await callee.close()

    asyncio.run(asyncio.wait_for(main(), 30))
    assert ("start:sendrecv", "MainThread") not in log


def test_closes_give_free_pages_back_at_most_every_interval(monkeypatch: Any) -> None:
    """The soak's RSS crept at 500 concurrent calls, and stayed at 360 MB after 10,000
    sequential ones, while the allocator's bytes in use were flat: frees in bulk ask for a
    malloc_trim, which runs on its own thread, at most once per interval, and always after the
    last request of a burst."""
    from siperb import _memory
    from siperb.media import closer

    trims: list[tuple[str, float]] = []

    def trim(pad: int) -> int:
        trims.append((_lane(), time.monotonic()))
        return 1

    pending = _memory._state["timer"]  # an earlier test's trim, due within the interval
    if pending is not None:
        pending.cancel()
    monkeypatch.setitem(_memory._state, "fn", trim)
    monkeypatch.setattr(_memory, "worth_trimming", lambda free, floor, in_use: True)
    monkeypatch.setitem(_memory._state, "last", float("-inf"))
    monkeypatch.setitem(_memory._state, "timer", None)
    monkeypatch.setattr(_memory, "TRIM_INTERVAL", 0.5)
    t0 = time.monotonic()
    _memory.release_soon()
    _memory.release_soon()  # covered by the pending trim
    assert wait_until(lambda: len(trims) == 1, timeout=5)
    assert trims[0][0] == "siperb-trim"
    for _ in range(3):  # a burst within the interval: one more trim, after the interval
        _memory.release_soon()
    assert wait_until(lambda: len(trims) == 2, timeout=5)
    assert trims[1][1] - trims[0][1] >= 0.45, trims
    time.sleep(0.7)
    assert len(trims) == 2, "no request, no trim"
    assert trims[0][1] - t0 < 0.4  # the first came at once
    # A session's close asks for one after it has run (on the lane, once the memory is free).
    engine = media.Engine()
    try:
        s = engine.session(media.SessionConfig())
        s.start(media.StreamParams(remote_address="127.0.0.1", remote_port=9))
        closer.close_soon(s)
        engine.commands.drain(10)
        assert s._native.closed
        assert wait_until(lambda: len(trims) == 3, timeout=5), trims
    finally:
        engine.stop()


def _lane() -> str:
    return threading.current_thread().name
