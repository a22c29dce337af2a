"""The event bridge: callbacks, iterators, overflow, other threads, fd-driven native queues."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from siperb.events import Event, EventHub, FdQueue

TIMEOUT = 5.0


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


def test_event_is_read_only() -> None:
    ev = Event("dtmf", {"digit": "5"})
    assert ev["digit"] == "5" and ev.get("missing", 1) == 1
    with pytest.raises(TypeError):
        ev.data["digit"] = "6"  # type: ignore[index]


def test_sync_callbacks_in_order_with_wildcard() -> None:
    async def main() -> list[str]:
        hub = EventHub()
        seen: list[str] = []
        hub.on("dtmf", lambda ev: seen.append(f"a:{ev['digit']}"))
        hub.on("dtmf", lambda ev: seen.append(f"b:{ev['digit']}"))
        hub.on("*", lambda ev: seen.append(f"*:{ev.name}"))
        hub.on("registered", lambda ev: seen.append("reg"))
        hub.emit("dtmf", digit="1")
        hub.emit("toast", message="hi")
        return seen

    assert run(main()) == ["a:1", "b:1", "*:dtmf", "*:toast"]


def test_on_as_decorator_and_off() -> None:
    async def main() -> list[int]:
        hub = EventHub()
        seen: list[int] = []

        @hub.on("tick")
        def cb(ev: Event) -> None:
            seen.append(ev["n"])

        hub.emit("tick", n=1)
        assert hub.off("tick", cb) is True
        assert hub.off("tick", cb) is False
        assert hub.off("never", cb) is False
        hub.emit("tick", n=2)
        return seen

    assert run(main()) == [1]


def test_on_rejects_non_callables() -> None:
    with pytest.raises(TypeError):
        EventHub().on("x", 42)  # type: ignore[call-overload]


def test_async_callbacks_run_as_tasks() -> None:
    async def main() -> list[str]:
        hub = EventHub()
        seen: list[str] = []

        async def cb(ev: Event) -> None:
            await asyncio.sleep(0)
            seen.append(ev.name)

        hub.on("registered", cb)
        hub.emit("registered")
        assert seen == []  # not run inside emit
        await hub.aclose()
        return seen

    assert run(main()) == ["registered"]


def test_callback_exceptions_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[list[str], int]:
        hub = EventHub()
        seen: list[str] = []

        def bad(ev: Event) -> None:
            raise RuntimeError("sync boom")

        async def bad_async(ev: Event) -> None:
            raise RuntimeError("async boom")

        hub.on("x", bad)
        hub.on("x", bad_async)
        hub.on("x", lambda ev: seen.append("after"))
        sub = hub.events("x")
        hub.emit("x")  # must not raise
        await hub.aclose()
        assert (await sub.get()).name == "x"  # subscribers still got it
        return seen, hub.errors

    with caplog.at_level(logging.ERROR, logger="siperb.events"):
        seen, errors = run(main())
    assert seen == ["after"] and errors == 2
    assert "sync boom" in caplog.text and "async boom" in caplog.text


def test_async_iteration_with_filter() -> None:
    async def main() -> list[tuple[str, Any]]:
        hub = EventHub()
        got: list[tuple[str, Any]] = []
        sub = hub.events("dtmf", "toast")

        async def consume() -> None:
            async for ev in sub:
                got.append((ev.name, dict(ev.data)))
                if len(got) == 3:
                    break

        task = asyncio.create_task(consume())
        await asyncio.sleep(0)
        hub.emit("dtmf", digit="1")
        hub.emit("registered")
        hub.emit("toast", message="m")
        hub.emit("dtmf", digit="#")
        await task
        return got

    assert run(main()) == [
        ("dtmf", {"digit": "1"}),
        ("toast", {"message": "m"}),
        ("dtmf", {"digit": "#"}),
    ]


def test_all_events_iterator_and_independent_subscribers() -> None:
    async def main() -> None:
        hub = EventHub()
        every, only = hub.events(), hub.events("b")
        for name in "abc":
            hub.emit(name)
        assert [(await every.get()).name for _ in range(3)] == ["a", "b", "c"]
        assert (await only.get()).name == "b" and only.qsize() == 0

    run(main())


def test_overflow_drops_oldest_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[list[int], int, list[int], int]:
        hub = EventHub(queue_size=4)
        slow = hub.events("n", maxsize=3)
        roomy = hub.events("n")  # default size: 4
        for i in range(10):
            hub.emit("n", i=i)
        a = [(await slow.get())["i"] for _ in range(slow.qsize())]
        b = [(await roomy.get())["i"] for _ in range(roomy.qsize())]
        return a, slow.dropped, b, roomy.dropped

    with caplog.at_level(logging.WARNING, logger="siperb.events"):
        assert run(main()) == ([7, 8, 9], 7, [6, 7, 8, 9], 6)
    assert caplog.text.count("dropping oldest") == 2  # once per subscriber, not per event


def test_bad_maxsize() -> None:
    async def main() -> None:
        with pytest.raises(ValueError):
            EventHub().events("x", maxsize=-1)

    run(main())


def test_closing_a_subscription_ends_iteration_after_buffered_events() -> None:
    async def main() -> list[str]:
        hub = EventHub()
        sub = hub.events()
        hub.emit("a")
        hub.emit("b")
        sub.close()
        hub.emit("c")  # after close: not delivered
        return [ev.name async for ev in sub]

    assert run(main()) == ["a", "b"]


def test_context_manager_unsubscribes() -> None:
    async def main() -> None:
        hub = EventHub()
        async with hub.events("x") as sub:
            hub.emit("x")
            assert (await sub.get()).name == "x"
        assert sub.closed
        hub.emit("x")
        assert sub.qsize() == 0
        with pytest.raises(EOFError):
            await sub.get()

    run(main())


def test_hub_close_wakes_waiting_iterators() -> None:
    async def main() -> list[str]:
        hub = EventHub()
        sub = hub.events()

        async def consume() -> list[str]:
            return [ev.name async for ev in sub]

        task = asyncio.create_task(consume())
        await asyncio.sleep(0)
        hub.emit("last")
        hub.close()
        hub.emit("ignored")
        late = hub.events()
        assert late.closed
        return await task

    assert run(main()) == ["last"]


def test_get_timeout() -> None:
    async def main() -> None:
        sub = EventHub().events()
        with pytest.raises(asyncio.TimeoutError):
            await sub.get(timeout=0.01)

    run(main())


def test_emit_threadsafe_from_threads() -> None:
    async def main() -> list[tuple[int, int]]:
        hub = EventHub()
        sub = hub.events("n", maxsize=10_000)
        loop_thread = threading.get_ident()
        callback_threads: set[int] = set()
        hub.on("n", lambda ev: callback_threads.add(threading.get_ident()))

        def produce(worker: int) -> None:
            for i in range(200):
                assert hub.emit_threadsafe("n", worker=worker, i=i)

        threads = [threading.Thread(target=produce, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        got = [await sub.get() for _ in range(800)]
        for t in threads:
            t.join()
        assert callback_threads == {loop_thread}  # callbacks ran on the loop, not the producers
        return [(ev["worker"], ev["i"]) for ev in got]

    got = run(main())
    assert sorted(got) == [(w, i) for w in range(4) for i in range(200)]
    for w in range(4):  # per producer, order is kept
        assert [i for ww, i in got if ww == w] == list(range(200))


def test_emit_threadsafe_needs_a_loop_and_survives_a_closed_one() -> None:
    hub = EventHub()
    with pytest.raises(RuntimeError):
        hub.emit_threadsafe("x")
    loop = asyncio.new_event_loop()
    hub.bind(loop)
    other = asyncio.new_event_loop()
    with pytest.raises(RuntimeError):
        hub.bind(other)
    other.close()
    loop.close()
    assert hub.emit_threadsafe("x") is False
    assert hub.lost == 1


def test_hub_made_outside_the_loop_binds_on_first_subscription() -> None:
    hub = EventHub()

    async def main() -> str:
        sub = hub.events("x")
        threading.Thread(target=hub.emit_threadsafe, args=("x",)).start()
        return (await sub.get()).name

    assert run(main()) == "x"


# ---- the native queue protocol ----


def test_fd_queue_drives_the_hub() -> None:
    async def main() -> tuple[list[str], list[str]]:
        hub = EventHub()
        q = FdQueue()
        hub.attach_fd(q.fileno(), q.drain)
        sub = hub.events("dtmf")
        callback: list[str] = []
        hub.on("dtmf", lambda ev: callback.append(ev["digit"]))

        def native_thread() -> None:
            for d in "123*#":
                q.put("dtmf", digit=d)

        t = threading.Thread(target=native_thread)
        t.start()
        got = [(await sub.get())["digit"] for _ in range(5)]
        t.join()
        assert hub.detach_fd(q.fileno()) is True
        assert hub.detach_fd(q.fileno()) is False
        q.close()
        return got, callback

    got, callback = run(main())
    assert got == list("123*#") == callback


def test_fd_queue_drain_without_events_and_after_close() -> None:
    q = FdQueue()
    assert q.drain() == []
    q.put("a", x=1)
    q.put("b")
    assert q.drain() == [("a", {"x": 1}), ("b", {})]
    assert q.drain() == []
    q.close()
    q.close()
    with pytest.raises(RuntimeError):
        q.put("late")


def test_attach_fd_with_a_pipe_and_custom_reader() -> None:
    """Any fd works: here a pipe whose bytes are the events (one digit per byte)."""

    async def main() -> list[str]:
        hub = EventHub()
        r, w = os.pipe()
        os.set_blocking(r, False)

        def read() -> Iterable[tuple[str, Mapping[str, Any]]]:
            data = os.read(r, 1024)
            return [("dtmf", {"digit": chr(b)}) for b in data]

        hub.attach_fd(r, read)
        with pytest.raises(ValueError):
            hub.attach_fd(r, read)
        sub = hub.events("dtmf")
        os.write(w, b"42")
        got = [(await sub.get())["digit"] for _ in range(2)]
        hub.close()  # detaches the fd
        os.close(r)
        os.close(w)
        return got

    assert run(main()) == ["4", "2"]


def test_failing_reader_is_detached(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[int, bool]:
        hub = EventHub()
        r, w = os.pipe()
        calls = 0

        def broken() -> list[tuple[str, Mapping[str, Any]]]:
            nonlocal calls
            calls += 1
            raise OSError("native queue corrupt")

        hub.attach_fd(r, broken)
        os.write(w, b"x")  # stays readable: a spinning loop would call broken() forever
        for _ in range(20):
            await asyncio.sleep(0)
        detached = hub.detach_fd(r)
        os.close(r)
        os.close(w)
        return calls, detached

    with caplog.at_level(logging.ERROR, logger="siperb.events"):
        calls, detached = run(main())
    assert calls == 1 and detached is False
    assert "native queue corrupt" in caplog.text
