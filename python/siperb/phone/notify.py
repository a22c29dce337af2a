"""The phone's outward side: events to the application, calls to the PhoneFrame, toasts.

Every event a :class:`~siperb.phone.Phone` emits and every frame call goes through here, so the
order the application sees is the order things happened, and a slow frame never blocks an
event callback.
"""

from __future__ import annotations

import asyncio
import difflib
import re
from typing import Any

from ..errors import SiperbError
from ..events import ALL, Callback, Event, EventHub, Subscription
from .call import Call
from .frame import call_frame
from .i18n import catalogue
from .options import PhoneOptions

#: Every event a phone emits; ``on``/``off``/``events`` refuse other names (a typo would
#: otherwise be a callback that silently never fires).
PHONE_EVENT_NAMES: tuple[str, ...] = (
    "registered", "unregistered", "registration_failed", "transport", "online", "offline",
    "incoming_call", "session_state_change", "hold", "mute", "dtmf", "transfer", "message",
    "recording_started", "recording_ended", "call_recorded", "toast", "loaded",
    "media_timeout",
)  # fmt: skip


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


#: The SDK's name of each event (``phone.on("IncomingCall", fn)``): one table, so a new
#: snake_case event has its SDK twin at once.
SDK_EVENT_NAMES: dict[str, str] = {name: _pascal(name) for name in PHONE_EVENT_NAMES}
_FROM_SDK = {sdk: snake for snake, sdk in SDK_EVENT_NAMES.items()}
#: The SDK's field names where they differ from a plain PascalCase of the snake_case key.
_SDK_FIELDS = {
    "call": "SessionId", "caller": "CallerId", "buddy_id": "BuddyId",
    "previous": "PreviousState", "method": "DtmfType", "new_call": "NewSessionId",
}  # fmt: skip


def _sdk_value(value: Any) -> Any:
    return value.id if isinstance(value, Call) else value  # the SDK passes session ids around


def sdk_event(event: Event) -> Event:
    """``event`` in the SDK's shape: ``{Event, Source, Data}`` under its SDK name."""
    name = SDK_EVENT_NAMES.get(event.name, _pascal(event.name))
    call = event.data.get("call")
    source = _sdk_value(call) if call is not None else "phone"
    data = {_SDK_FIELDS.get(k, _pascal(k)): _sdk_value(v) for k, v in event.data.items()}
    return Event(name, {"Event": name, "Source": source, "Data": data})


def check_event_name(name: object) -> str:
    """``name`` if the phone emits it (or ``"*"``) under it or its SDK name; else an error naming
    it, with a suggestion."""
    if not isinstance(name, str):
        raise SiperbError(f"event name must be a string, got {type(name).__name__}",
                          field="name")  # fmt: skip
    if name == ALL or name in PHONE_EVENT_NAMES or name in _FROM_SDK:
        return name
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name.removeprefix("On")).lower()
    hit = [snake] if snake in PHONE_EVENT_NAMES else difflib.get_close_matches(
        name.lower(), PHONE_EVENT_NAMES, n=1, cutoff=0.6)  # fmt: skip
    hint = f"; did you mean {hit[0]!r}?" if hit else f" (known: {', '.join(PHONE_EVENT_NAMES)})"
    raise SiperbError(f"unknown phone event {name!r}{hint}", field=name,
                      reason="unknown event name")  # fmt: skip


class PhoneEvents:
    """Events (``on``/``off``/``events``), the frame's ordered call queue and translated toasts."""

    def __init__(self, options: PhoneOptions) -> None:
        self.options = options
        self.translator = options.translator()
        self.hub = EventHub()
        self._frame_queue: asyncio.Queue[tuple[str, tuple[Any, ...]] | None] = asyncio.Queue()
        self._frame_task: asyncio.Task[None] | None = None
        self._closed = False
        self._sdk_callbacks: dict[tuple[str, Callback], Callback] = {}

    # ---- events ----

    def on(self, name: str, callback: Callback | None = None) -> Any:
        """``callback(event)`` for every ``name`` event (``"*"``: all); usable as a decorator.

        An SDK name (``"IncomingCall"``) gets the same event as ``{Event, Source, Data}``: the
        callback rides on the snake_case event, so there is one emit path and one order."""
        check_event_name(name)
        if name not in _FROM_SDK:
            return self.hub.on(name) if callback is None else self.hub.on(name, callback)

        def register(cb: Callback) -> Callback:
            def twin(event: Event) -> Any:
                return cb(sdk_event(event))

            self._sdk_callbacks[(name, cb)] = twin
            self.hub.on(_FROM_SDK[name], twin)
            return cb

        return register if callback is None else register(callback)

    def off(self, name: str, callback: Callback) -> bool:
        check_event_name(name)
        if name in _FROM_SDK:
            twin = self._sdk_callbacks.pop((name, callback), None)
            return twin is not None and self.hub.off(_FROM_SDK[name], twin)
        return self.hub.off(name, callback)

    def events(self, *names: str, maxsize: int | None = None) -> Subscription:
        """``async for ev in phone.events("incoming_call"): ...`` (all events without names;
        snake_case names only: the SDK's shape is for callbacks, ``on("IncomingCall", fn)``)."""
        for name in names:
            if check_event_name(name) in _FROM_SDK:
                raise SiperbError(f"events() takes snake_case names: {_FROM_SDK[name]!r}, not "
                                  f"{name!r}", field=name, reason="SDK name")  # fmt: skip
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

    def toast(self, message: str, title: str | None = None, icon: str | None = None,
              color: str | None = None) -> Event:  # fmt: skip
        """Show a notice (the frame's ``toast`` and a ``toast`` event), the SDK's
        ``Toast(message, title, icon, color)``. A catalogue key (``"toast.phone_ready"``) is
        translated; other text is shown as given. The frame's ``toast(message, title)`` keeps
        its two arguments; ``icon`` and ``color`` ride on the event (and ``state_changed``)."""
        text = self._translate(message)
        shown_title = self._translate(title) if title is not None else None
        self._frame("toast", text, shown_title)
        if icon is not None or color is not None:
            self._state_changed("toast", {"message": text, "title": shown_title, "icon": icon,
                                          "color": color})  # fmt: skip
        return self._emit("toast", message=text, title=shown_title, icon=icon, color=color)

    def _translate(self, text: str) -> str:
        return self.translator.t(text) if text in catalogue("en") else text

    # the SDK's names
    On = on
    Off = off
    Toast = toast
