"""The call-handler API: ``async def handle(call)`` runs once for every call of a worker.

A handler gets a :class:`HandlerCall`, a thin face over the phone's
:class:`~siperb.phone.Call` (answer, hang up, transfer and DTMF go through the phone, so its
history and events see them) that adds what a program needs at scale: audio in and out as numpy
through the media engine's :class:`~siperb.media.audio.BufferSource` and
:class:`~siperb.media.audio.BufferSink` (no packet passes through Python: the engine reads and
writes those buffers on its own thread), and received DTMF digits and state changes as queues
a handler awaits. Outbound campaigns hand placed calls to the same function.

:func:`load_handler` turns ``"package.module:function"`` into the function, as ``siperb serve``
does with its argument.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import SiperbError
from ..media.audio import BufferSink, BufferSource
from ..phone import Call

__all__ = ["Handler", "HandlerCall", "load_handler"]

#: Sample rate of the numpy audio a handler plays and reads (the engine resamples).
DEFAULT_RATE = 16000
#: Seconds of audio a call's play buffer holds: :meth:`HandlerCall.say` tops it up as it
#: drains, so a long prompt costs no more memory than this (a 10,000-call fleet holds 10,000).
PLAY_SECONDS = 2
#: Seconds of received audio kept for a handler that reads late (then the oldest is dropped).
LISTEN_SECONDS = 2
#: How often :meth:`HandlerCall.say` tops up the play buffer (well under PLAY_SECONDS).
TOP_UP_SECONDS = 0.2
#: Received DTMF digits kept per call until the handler reads them.
MAX_DTMF = 64

Handler = Callable[["HandlerCall"], Awaitable[None]]


class HandlerCall:
    """One call as a handler sees it; ``call`` is the phone's Call underneath."""

    def __init__(self, call: Call, worker: int = 0, *, rate: int = DEFAULT_RATE):
        self.call = call
        self.worker = worker
        self.rate = rate
        self._source: BufferSource | None = None
        self._sink: BufferSink | None = None
        self._dtmf: asyncio.Queue[str] = asyncio.Queue(MAX_DTMF)
        self._states: asyncio.Queue[str] = asyncio.Queue(64)
        #: JSON-able facts the handler adds to the call's log line (``data``).
        self.annotations: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<HandlerCall worker={self.worker} {self.call!r}>"

    # ---- what the call is ----

    @property
    def id(self) -> str:
        return self.call.id

    @property
    def call_id(self) -> str:
        return self.call.call_id

    @property
    def direction(self) -> str:
        return self.call.direction

    @property
    def remote_uri(self) -> str:
        return self.call.remote_uri

    @property
    def state(self) -> str:
        return self.call.state.value

    @property
    def ended(self) -> bool:
        return self.call.ended

    # ---- control (through the phone) ----

    async def answer(self) -> None:
        await self.call.answer()

    async def decline(self) -> None:
        await self.call.decline()

    async def hangup(self) -> None:
        if not self.call.ended:
            await self.call.hangup()

    async def transfer(self, target: str) -> int:
        """Blind transfer (REFER); the final status of the REFER."""
        return await self.call.blind_transfer(target)

    async def send_dtmf(self, digits: str) -> None:
        await self.call.send_dtmf(digits)

    async def wait_ended(self, timeout: float | None = None) -> None:
        await self.call.wait_for("terminated", timeout=timeout)

    # ---- audio as numpy ----

    def _play_buffer(self) -> BufferSource:
        if self._source is None:
            self._source = BufferSource(self.rate, self.rate * PLAY_SECONDS, "reject_newest")
            self.call.set_source(self._source)
        return self._source

    def play(self, pcm: npt.NDArray[np.int16]) -> int:
        """Queue mono int16 samples at ``rate`` to send, as many as fit in the play buffer;
        the number queued (:meth:`say` queues any length)."""
        samples = np.ascontiguousarray(pcm, dtype=np.int16)
        if samples.ndim != 1:
            raise SiperbError("play: expected mono samples (a 1-D array)", field="pcm")
        return self._play_buffer().push(samples)

    async def say(self, pcm: npt.NDArray[np.int16]) -> None:
        """Queue all of ``pcm`` (any length), topping the play buffer up as it drains;
        returns once the last sample is queued (or the call ended)."""
        rest = np.ascontiguousarray(pcm, dtype=np.int16)
        while rest.size and not self.ended:
            rest = rest[self.play(rest) :]
            if rest.size:
                await asyncio.sleep(TOP_UP_SECONDS)

    async def played(self, timeout: float | None = None) -> None:
        """Wait until what :meth:`play` queued has been sent (or the call ended)."""

        async def drain() -> None:
            while self._source is not None and self._source.queued > 0 and not self.ended:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(drain(), timeout)

    async def read(self, n: int) -> npt.NDArray[np.int16]:
        """The next ``n`` received samples at ``rate`` (fewer once the call ended)."""
        if self._sink is None:
            self._sink = BufferSink(self.rate, self.rate * LISTEN_SECONDS)
            self.call.set_sink(self._sink)
        return await self._sink.aread(n)

    # ---- DTMF and states ----

    async def dtmf(self, timeout: float | None = None) -> str | None:
        """The next received DTMF digit; None on timeout or when the call ended first."""
        getter = asyncio.ensure_future(self._dtmf.get())
        waiters: set[asyncio.Future[Any]] = {getter}
        ended = asyncio.ensure_future(self.wait_ended())
        waiters.add(ended)
        try:
            done, _ = await asyncio.wait(
                waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            return getter.result() if getter in done else None
        finally:
            for fut in waiters:
                fut.cancel()

    async def next_state(self, timeout: float | None = None) -> str:
        """The next session state the call entered (``established``, ``terminated`` ...)."""
        return await asyncio.wait_for(self._states.get(), timeout)

    def _on_dtmf(self, digit: str) -> None:
        if not self._dtmf.full():
            self._dtmf.put_nowait(digit)

    def _on_state(self, state: str) -> None:
        if not self._states.full():
            self._states.put_nowait(state)

    def _close(self) -> None:
        """The call ended: a handler waiting in :meth:`read` gets what is left."""
        if self._sink is not None:
            self._sink.close()
        if self._source is not None:
            self._source.end()


def load_handler(spec: str) -> Handler:
    """``"package.module:function"`` -> the coroutine function (clear errors otherwise)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise SiperbError(f"handler {spec!r}: expected module:function", field="handler")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SiperbError(
            f"handler {spec!r}: cannot import {module_name}: {exc}", field="handler"
        ) from None
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise SiperbError(f"handler {spec!r}: {module_name} has no {attr}", field="handler")
    if not inspect.iscoroutinefunction(obj):
        raise SiperbError(f"handler {spec!r}: must be an async function", field="handler")
    handler: Handler = obj
    return handler
