"""The SDK's assignable callbacks: ``phone.OnIncomingCall = fn`` and its siblings.

The browser SDK lets an application assign ``OnLoad``, ``OnIncomingCall``, ``OnOnline`` and
``OnOffline`` on the phone object. Here they are plain attributes read when the event happens
(so an assignment is never ignored), and assigning any other ``On...`` name is refused with a
suggestion: a misspelt slot would otherwise be a callback that never fires.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..errors import SiperbError
from .call import Call
from .notify import PhoneEvents
from .options import PhoneOptions

log = logging.getLogger("siperb.phone")

SLOTS: tuple[str, ...] = ("OnLoad", "OnIncomingCall", "OnOnline", "OnOffline")
Slot = Callable[..., Any] | None


def incoming_call_payload(call: Call, buddy_id: str | None = None) -> dict[str, Any]:
    """What the SDK hands ``OnIncomingCall``: who calls, which number they dialled, when."""
    invite = call.sip.invite
    caller = call.remote_name or call.remote_uri
    if call.remote_name and call.remote_uri:
        caller = f"{call.remote_name} <{call.remote_uri}>"
    did = ""
    if invite is not None and invite.to is not None:
        did = invite.to.uri.user or ""
    body = invite.body if invite is not None else b""
    return {
        "SessionId": call.id,
        "Time": datetime.fromtimestamp(call.start_time, timezone.utc).isoformat(),
        "BuddyId": buddy_id,
        "CallerId": caller,
        "DID": did,
        "Direction": call.direction,
        "WithVideo": b"\nm=video " in b"\n" + body,
    }


class PhoneSlots(PhoneEvents):
    """``OnLoad`` / ``OnIncomingCall`` / ``OnOnline`` / ``OnOffline`` as assignable slots."""

    OnLoad: Slot
    OnIncomingCall: Slot
    OnOnline: Slot
    OnOffline: Slot

    def __init__(self, options: PhoneOptions) -> None:
        super().__init__(options)
        self.OnLoad = options.on_load
        self.OnIncomingCall = None
        self.OnOnline = None
        self.OnOffline = None
        self._slot_tasks: set[asyncio.Task[Any]] = set()

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("On") and name[2:3].isupper() and name not in SLOTS:
            hit = difflib.get_close_matches(name, SLOTS, n=1, cutoff=0.6)
            hint = f"; did you mean {hit[0]!r}?" if hit else f" (slots: {', '.join(SLOTS)})"
            raise SiperbError(f"unknown phone slot {name!r}{hint}", field=name,
                              reason="unknown slot")  # fmt: skip
        if name in SLOTS and value is not None and not callable(value):
            raise SiperbError(f"{name} must be callable or None, got {type(value).__name__}",
                              field=name)  # fmt: skip
        super().__setattr__(name, value)

    def _fire_slot(self, name: str, *args: Any) -> None:
        """Call the slot if assigned (an async one becomes a task); its errors are logged."""
        fn = getattr(self, name)
        if fn is None:
            return
        try:
            result = fn(*args)
        except Exception:
            log.exception("%s raised", name)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._slot_tasks.add(task)
            task.add_done_callback(self._slot_done)

    def _slot_done(self, task: asyncio.Task[Any]) -> None:
        self._slot_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a slot raised", exc_info=task.exception())

    async def _run_on_load_slot(self) -> None:
        """Run ``OnLoad`` (plain or async); its failure is the caller's to log."""
        fn = self.OnLoad
        if fn is not None:
            result = fn()
            if inspect.isawaitable(result):
                await result


__all__ = ["SLOTS", "PhoneSlots", "incoming_call_payload"]
