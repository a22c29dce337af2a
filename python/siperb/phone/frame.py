"""The PhoneFrame protocol: how a UI (or a test double) follows a headless phone.

A frame is any object. Each of its methods below is optional and called only if present, so a
frame that only wants toasts implements only :meth:`PhoneFrame.toast`. A method may be a plain
function or a coroutine function; a failing frame is logged and never breaks the phone.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)

FRAME_METHODS = ("attach", "configure", "toast", "state_changed")


class PhoneFrame(Protocol):
    """Everything a frame may implement (all optional at run time)."""

    def attach(self, phone: Any) -> Any:
        """Called first, with the Phone itself: a UI that sends commands (dial, hold...) keeps it.

        A frame that only follows the phone does not need it."""

    def configure(self, ui_options: dict[str, Any]) -> Any:
        """Called once with :meth:`siperb.phone.options.PhoneOptions.ui_options`."""

    def toast(self, message: str, title: str | None) -> Any:
        """A short notice for the user, already translated."""

    def state_changed(self, event: str, data: dict[str, Any]) -> Any:
        """A phone or call event (``registered``, ``session_state_change``, ...)."""


async def call_frame(frame: object | None, method: str, *args: Any) -> bool:
    """Call ``frame.method(*args)`` if the frame has it; True if it was called and succeeded."""
    if method not in FRAME_METHODS:
        raise ValueError(f"not a PhoneFrame method: {method!r}")
    fn = getattr(frame, method, None) if frame is not None else None
    if not callable(fn):
        return False
    try:
        result = fn(*args)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("PhoneFrame.%s raised", method)
        return False
    return True


__all__ = ["FRAME_METHODS", "PhoneFrame", "call_frame"]
