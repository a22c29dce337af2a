"""The phone's outward side: events to the application, calls to the PhoneFrame, toasts.

Every event a :class:`~siperb.phone.Phone` emits and every frame call goes through here, so the
order the application sees is the order things happened, and a slow frame never blocks an
event callback.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..events import Callback, Event, EventHub, Subscription
from .frame import call_frame
from .i18n import catalogue
from .options import PhoneOptions


class PhoneEvents:
    """Events (``on``/``off``/``events``), the frame's ordered call queue and translated toasts."""

    def __init__(self, options: PhoneOptions) -> None:
        self.options = options
        self.translator = options.translator()
        self.hub = EventHub()
        self._frame_queue: asyncio.Queue[tuple[str, tuple[Any, ...]] | None] = asyncio.Queue()
        self._frame_task: asyncio.Task[None] | None = None
        self._closed = False

    # ---- events ----

    def on(self, name: str, callback: Callback | None = None) -> Any:
        """``callback(event)`` for every ``name`` event (``"*"``: all); usable as a decorator."""
        return self.hub.on(name) if callback is None else self.hub.on(name, callback)

    def off(self, name: str, callback: Callback) -> bool:
        return self.hub.off(name, callback)

    def events(self, *names: str, maxsize: int | None = None) -> Subscription:
        """``async for ev in phone.events("incoming_call"): ...`` (all events without names)."""
        return self.hub.events(*names, maxsize=maxsize)

    def _emit(self, name: str, **data: Any) -> Event:
        return self.hub.emit(name, **data)

    def _frame(self, method: str, *args: Any) -> None:
        if self.options.phone_frame is not None and not self._closed:
            self._frame_queue.put_nowait((method, args))

    async def _frame_worker(self) -> None:
        """Frame calls in order, one at a time, never blocking an event callback."""
        while True:
            item = await self._frame_queue.get()
            if item is None:
                return
            method, args = item
            await call_frame(self.options.phone_frame, method, *args)

    def _state_changed(self, event: str, data: dict[str, Any]) -> None:
        self._frame("state_changed", event, data)

    def toast(self, message: str, title: str | None = None) -> Event:
        """Show a notice (the frame's ``toast`` and a ``toast`` event). A catalogue key
        (``"toast.phone_ready"``) is translated; other text is shown as given."""
        text = self._translate(message)
        shown_title = self._translate(title) if title is not None else None
        self._frame("toast", text, shown_title)
        return self._emit("toast", message=text, title=shown_title)

    def _translate(self, text: str) -> str:
        return self.translator.t(text) if text in catalogue("en") else text

    # the SDK's names
    On = on
    Toast = toast
