"""The event bridge: named events to callbacks and async iterators, from any thread.

The media engine's native thread must never call Python. It pushes events into its own queue and
signals a file descriptor (an ``eventfd`` or a pipe); :meth:`EventHub.attach_fd` watches that fd
with ``loop.add_reader`` and, on the loop, drains the queue through a ``read_fn`` and emits what
it returns. Python threads use :meth:`EventHub.emit_threadsafe`; code on the loop uses
:meth:`EventHub.emit`. :class:`FdQueue` is the same protocol in pure Python (for Python producer
threads and as the test double of the native side).

Delivery:

- Callbacks (``on(name, cb)``, ``"*"`` for every event) get the :class:`Event`, in registration
  order, synchronously inside ``emit``; a coroutine function's coroutine becomes a task. An
  exception in a callback is logged and counted in :attr:`EventHub.errors`, never raised into the
  emitter.
- Iterators (``async for ev in hub.events("dtmf")``) each have a bounded buffer. When it is full
  the oldest event is dropped and :attr:`Subscription.dropped` counts it, so a slow consumer sees
  the newest events and never slows the producer or the other consumers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Any, overload

log = logging.getLogger(__name__)

ALL = "*"
DEFAULT_QUEUE_SIZE = 256


@dataclass(frozen=True)
class Event:
    """A named event with its data (read-only)."""

    name: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The data item ``key``, or ``default`` when the event has none."""
        return self.data.get(key, default)


Callback = Callable[[Event], Any]
ReadFn = Callable[[], Iterable[tuple[str, Mapping[str, Any]]]]


class Subscription:
    """An async iterator over some events, with a bounded drop-oldest buffer."""

    def __init__(self, hub: EventHub, names: frozenset[str] | None, maxsize: int):
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._hub = hub
        self.names = names
        self.maxsize = maxsize
        self.dropped = 0
        self._buffer: collections.deque[Event] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False

    def wants(self, name: str) -> bool:
        return self.names is None or name in self.names

    def _push(self, event: Event) -> None:
        if self.closed:
            return
        if len(self._buffer) >= self.maxsize:
            self._buffer.popleft()
            self.dropped += 1
            if self.dropped == 1:
                log.warning("event subscriber too slow: dropping oldest events (buffer %d)",
                            self.maxsize)  # fmt: skip
        self._buffer.append(event)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def qsize(self) -> int:
        return len(self._buffer)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        while not self._buffer:
            if self.closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._buffer.popleft()

    async def get(self, timeout: float | None = None) -> Event:
        """The next event (``asyncio.TimeoutError`` after ``timeout`` seconds)."""
        try:
            return await asyncio.wait_for(self.__anext__(), timeout)
        except StopAsyncIteration:
            raise EOFError("subscription closed") from None

    def close(self) -> None:
        """Stop receiving; iteration ends once the buffered events are consumed."""
        if not self.closed:
            self.closed = True
            self._hub._unsubscribe(self)
            self._wake()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class EventHub:
    """Routes named events to callbacks and subscriptions on one asyncio loop."""

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ):
        if loop is None:
            with contextlib.suppress(RuntimeError):
                loop = asyncio.get_running_loop()
        self._loop = loop
        self.queue_size = queue_size
        self._callbacks: dict[str, list[Callback]] = {}
        self._subscriptions: list[Subscription] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._fds: dict[int, ReadFn] = {}
        self.errors = 0  #: callback and reader exceptions logged
        self.lost = 0  #: thread-safe emits after the loop closed
        self.closed = False

    # ---- loop ----

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop callbacks run on: the running loop at first use."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()  # RuntimeError outside a loop: intended
        return self._loop

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Set the loop when the hub was made outside it."""
        if self._loop is not None and self._loop is not loop:
            raise RuntimeError("EventHub is already bound to another loop")
        self._loop = loop

    # ---- callbacks ----

    @overload
    def on(self, name: str) -> Callable[[Callback], Callback]: ...

    @overload
    def on(self, name: str, callback: Callback) -> Callback: ...

    def on(
        self, name: str, callback: Callback | None = None
    ) -> Callback | Callable[[Callback], Callback]:
        """Call ``callback(event)`` for each ``name`` event; usable as a decorator."""

        def register(cb: Callback) -> Callback:
            if not callable(cb):
                raise TypeError("callback must be callable")
            self._callbacks.setdefault(name, []).append(cb)
            return cb

        return register if callback is None else register(callback)

    def off(self, name: str, callback: Callback) -> bool:
        """Remove one registration; False if it was not registered."""
        cbs = self._callbacks.get(name, [])
        try:
            cbs.remove(callback)
        except ValueError:
            return False
        return True

    # ---- iterators ----

    def events(self, *names: str, maxsize: int | None = None) -> Subscription:
        """An async iterator over the named events (all events without names)."""
        with contextlib.suppress(RuntimeError):
            _ = self.loop  # bind now if we are on a loop, for later thread-safe emits
        sub = Subscription(self, frozenset(names) or None, maxsize or self.queue_size)
        if self.closed:
            sub.closed = True
        else:
            self._subscriptions.append(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(sub)

    # ---- emitting ----

    def emit(self, name: str, /, **data: Any) -> Event:
        """Deliver an event now (call on the loop's thread)."""
        event = Event(name, data)
        self._dispatch(event)
        return event

    def emit_threadsafe(self, name: str, /, **data: Any) -> bool:
        """Deliver an event from any thread; False if the loop is closed (counted in lost)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("EventHub has no loop yet: create it on the loop or bind() it")
        event = Event(name, data)
        try:
            loop.call_soon_threadsafe(self._dispatch, event)
        except RuntimeError:  # loop closed
            self.lost += 1
            return False
        return True

    def _dispatch(self, event: Event) -> None:
        if self.closed:
            return
        for cb in [*self._callbacks.get(event.name, ()), *self._callbacks.get(ALL, ())]:
            try:
                result = cb(event)
            except Exception:
                self.errors += 1
                log.exception("callback for event %r raised", event.name)
                continue
            if inspect.isawaitable(result):
                self._spawn(result, event.name)
        for sub in list(self._subscriptions):
            if sub.wants(event.name):
                sub._push(event)

    def _spawn(self, awaitable: Any, name: str) -> None:
        async def run() -> None:
            try:
                await awaitable
            except asyncio.CancelledError:
                raise
            except Exception:
                self.errors += 1
                log.exception("async callback for event %r raised", name)

        task = self.loop.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- native queues ----

    def attach_fd(self, fd: int, read_fn: ReadFn) -> None:
        """Drain ``read_fn()`` whenever ``fd`` is readable and emit its ``(name, data)`` pairs.

        ``read_fn`` runs on the loop and must consume what made the fd readable (read the
        eventfd counter or the pipe bytes). If it raises, the error is logged and the fd
        detached, so a broken source cannot spin the loop.
        """
        if fd in self._fds:
            raise ValueError(f"fd {fd} is already attached")
        self._fds[fd] = read_fn
        self.loop.add_reader(fd, self._drain, fd)

    def detach_fd(self, fd: int) -> bool:
        """Stop watching ``fd`` (see :meth:`attach_fd`); False if it was not attached."""
        if self._fds.pop(fd, None) is None:
            return False
        self.loop.remove_reader(fd)
        return True

    def _drain(self, fd: int) -> None:
        read_fn = self._fds.get(fd)
        if read_fn is None:
            return
        try:
            items = list(read_fn())
        except Exception:
            self.errors += 1
            log.exception("event source on fd %d failed; detaching it", fd)
            self.detach_fd(fd)
            return
        for name, data in items:
            self._dispatch(Event(name, data))

    # ---- shutdown ----

    def close(self) -> None:
        """Detach fds, end every iterator (after its buffered events), drop callbacks."""
        if self.closed:
            return
        for fd in list(self._fds):
            self.detach_fd(fd)
        for sub in list(self._subscriptions):
            sub.close()
        self._callbacks.clear()
        self.closed = True

    async def aclose(self) -> None:
        """:meth:`close`, then wait for running async callbacks."""
        self.close()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class FdQueue:
    """A thread-safe event queue with a wake-up fd: the native side's protocol in Python.

    Producers on any thread call :meth:`put`; the loop side passes :meth:`fileno` and
    :meth:`drain` to :meth:`EventHub.attach_fd`.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[str, dict[str, Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        if hasattr(os, "eventfd"):
            self._rfd = self._wfd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        else:  # pragma: no cover - non-Linux
            self._rfd, self._wfd = os.pipe()
            os.set_blocking(self._rfd, False)
            os.set_blocking(self._wfd, False)

    def fileno(self) -> int:
        return self._rfd

    def put(self, name: str, /, **data: Any) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("FdQueue is closed")
            self._queue.put((name, data))
            self._signal()

    def _signal(self) -> None:
        try:
            if self._rfd == self._wfd:
                os.eventfd_write(self._wfd, 1)
            else:  # pragma: no cover - non-Linux
                os.write(self._wfd, b"\0")
        except BlockingIOError:  # counter or pipe full: already readable, nothing lost
            pass

    def drain(self) -> list[tuple[str, Mapping[str, Any]]]:
        """Clear the wake-up signal, then take every queued event (never blocks)."""
        try:
            if self._rfd == self._wfd:
                os.eventfd_read(self._rfd)
            else:  # pragma: no cover - non-Linux
                while os.read(self._rfd, 4096):
                    pass
        except BlockingIOError:
            pass
        out: list[tuple[str, Mapping[str, Any]]] = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            os.close(self._rfd)
            if self._wfd != self._rfd:  # pragma: no cover - non-Linux
                os.close(self._wfd)


__all__ = [
    "ALL",
    "Event",
    "EventHub",
    "FdQueue",
    "Subscription",
]
