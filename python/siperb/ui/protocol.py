"""The PhoneFrame control protocol: one JSON object per WebSocket text message.

The page sends commands ``{"id": 7, "op": "dial", "target": "echo"}``; the server answers each
with a reply ``{"type": "reply", "id": 7, "ok": true, "result": ...}`` or
``{"type": "reply", "id": 7, "ok": false, "error": {"type", "field", "reason", "message"}}``
(the :mod:`siperb.errors` exception's class name, field and reason, and a message in the page's
language). Unprompted, the server sends ``hello``, ``state``, ``event``, ``toast``, ``stats``,
``history`` and ``devices`` messages. docs/ui-protocol.md lists every field.

Parsing is strict and sans-IO: :func:`parse_command` takes the text and returns a typed
:class:`Command` or raises :class:`~siperb.errors.SiperbError` naming the field and the reason;
a refused command changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ..errors import SiperbError

#: Largest command accepted (bytes); the WebSocket's max_size too.
MAX_COMMAND_BYTES: Final = 16384  # a browser_offer carries an SDP offer (a few KiB)
#: Longest dial or transfer target, DTMF string, setting value.
MAX_TARGET: Final = 256
MAX_DIGITS: Final = 32
MAX_TEXT: Final = 256
MAX_HISTORY_PAGE: Final = 100
#: Longest SDP offer from the page (browser_offer); Chromium's audio offer is about 3 KB.
MAX_SDP: Final = 12000

Op = Literal[
    "hello", "dial", "answer", "decline", "hangup", "hold", "mute", "dtmf", "transfer",
    "transfer_complete", "transfer_cancel", "record", "devices", "select_device", "set_setting",
    "history", "seen_missed", "browser_offer", "browser_close",
]  # fmt: skip

#: op -> {argument: (type, required)}; ``call`` is a session id everywhere it appears.
_STR, _BOOL, _INT, _LIST = "string", "boolean", "integer", "list of strings"
SCHEMA: Final[dict[str, dict[str, tuple[str, bool]]]] = {
    "hello": {"languages": (_LIST, False), "color_scheme": (_STR, False)},
    "dial": {"target": (_STR, True)},
    "answer": {"call": (_STR, False)},
    "decline": {"call": (_STR, False)},
    "hangup": {"call": (_STR, False)},
    "hold": {"call": (_STR, False), "on": (_BOOL, True)},
    "mute": {"call": (_STR, False), "on": (_BOOL, True)},
    "dtmf": {"call": (_STR, False), "digits": (_STR, True)},
    "transfer": {"call": (_STR, False), "target": (_STR, True), "mode": (_STR, True)},
    "transfer_complete": {"call": (_STR, False)},
    "transfer_cancel": {"call": (_STR, False)},
    "record": {"call": (_STR, False), "on": (_BOOL, True)},
    "devices": {},
    "select_device": {"input": (_STR, False), "output": (_STR, False), "ringer": (_STR, False)},
    "set_setting": {"key": (_STR, True), "value": (_STR, True)},
    "history": {"offset": (_INT, False), "limit": (_INT, False)},
    "seen_missed": {},
    "browser_offer": {"sdp": (_STR, True)},
    "browser_close": {},
}

#: op -> the PhoneOptions feature it needs (the server refuses it when switched off).
GATES: Final[dict[str, str]] = {
    "hold": "hold",
    "mute": "mute",
    "dtmf": "dtmf",
    "transfer": "transfer",
    "transfer_complete": "transfer",
    "transfer_cancel": "transfer",
    "record": "recording",
    "devices": "device_selector",
    "select_device": "device_selector",
    "browser_offer": "device_selector",
    "browser_close": "device_selector",
    "set_setting": "settings",
}

TRANSFER_MODES: Final = ("blind", "attended")
#: Settings the page may change (EnableSettings): name -> allowed values (None: free text).
SETTINGS: Final[dict[str, tuple[str, ...] | None]] = {
    "DtmfType": ("info", "inband"),
    "UiThemeStyle": ("light", "dark", "system"),
    "Language": None,
}


@dataclass(frozen=True)
class Command:
    """One parsed command: ``args`` holds only the op's known arguments, type-checked."""

    id: int
    op: str
    args: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.args.get(name, default)


def _bad(field_: str, reason: str) -> SiperbError:
    return SiperbError(f"UI command {field_}: {reason}", field=field_, reason=reason)


def parse_command(text: str | bytes) -> Command:
    """A :class:`Command` from one WebSocket message, or SiperbError(field, reason)."""
    if isinstance(text, bytes):
        raise _bad("message", "binary messages are not commands")
    if len(text.encode()) > MAX_COMMAND_BYTES:
        raise _bad("message", f"longer than {MAX_COMMAND_BYTES} bytes")
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise _bad("message", "not JSON") from None
    if not isinstance(obj, dict):
        raise _bad("message", "not a JSON object")
    cid = obj.get("id")
    if not isinstance(cid, int) or isinstance(cid, bool) or not 0 <= cid < 2**53:
        raise _bad("id", "must be a non-negative integer")
    op = obj.get("op")
    if not isinstance(op, str) or op not in SCHEMA:
        raise _bad("op", "unknown command")
    spec = SCHEMA[op]
    args: dict[str, Any] = {}
    for key, value in obj.items():
        if key in ("id", "op"):
            continue
        if key not in spec:
            raise _bad(key, f"not an argument of {op}")
        kind, _ = spec[key]
        args[key] = _check(key, kind, value)
    for key, (_, required) in spec.items():
        if required and key not in args:
            raise _bad(key, f"required by {op}")
    _check_values(op, args)
    return Command(cid, op, args)


def _check(key: str, kind: str, value: Any) -> Any:
    if kind == _STR:
        if not isinstance(value, str):
            raise _bad(key, "must be a string")
        limit = {"digits": MAX_DIGITS, "sdp": MAX_SDP}.get(key, MAX_TARGET)
        if len(value) > limit:
            raise _bad(key, f"longer than {limit} characters")
        if key == "sdp":  # lines end in CRLF; nothing else below a space
            if not value.replace("\r\n", "").replace("\n", "").isprintable():
                raise _bad(key, "contains control characters")
            return value
        if not value.isprintable():
            raise _bad(key, "contains control characters")
        return value
    if kind == _BOOL:
        if not isinstance(value, bool):
            raise _bad(key, "must be true or false")
        return value
    if kind == _INT:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _bad(key, "must be a non-negative integer")
        return value
    if not isinstance(value, list) or len(value) > 16:
        raise _bad(key, "must be a list of at most 16 strings")
    if not all(isinstance(v, str) and len(v) <= 35 for v in value):
        raise _bad(key, "must be a list of short strings")
    return value


def _check_values(op: str, args: dict[str, Any]) -> None:
    if op in ("dial", "transfer") and not args["target"].strip():
        raise _bad("target", "empty")
    if op == "transfer" and args["mode"] not in TRANSFER_MODES:
        raise _bad("mode", f"must be one of {', '.join(TRANSFER_MODES)}")
    if op == "history" and args.get("limit", 0) > MAX_HISTORY_PAGE:
        raise _bad("limit", f"at most {MAX_HISTORY_PAGE}")
    if op == "set_setting":
        if args["key"] not in SETTINGS:
            raise _bad("key", f"not a setting the page may change ({', '.join(SETTINGS)})")
        allowed = SETTINGS[args["key"]]
        if allowed is not None and args["value"] not in allowed:
            raise _bad("value", f"must be one of {', '.join(allowed)}")


def error_payload(exc: BaseException, message: str | None = None) -> dict[str, Any]:
    """The reply's ``error`` object for an exception (only SiperbError details are shown)."""
    if isinstance(exc, SiperbError):
        return {
            "type": type(exc).__name__,
            "field": exc.field,
            "reason": exc.reason,
            "message": message or str(exc),
        }
    return {"type": "SiperbError", "field": None, "reason": "internal error",
            "message": message or "internal error"}  # fmt: skip


def reply(cid: int, result: Any = None) -> str:
    return json.dumps({"type": "reply", "id": cid, "ok": True, "result": result})


def reply_error(cid: int | None, error: dict[str, Any]) -> str:
    return json.dumps({"type": "reply", "id": cid, "ok": False, "error": error})


def message(kind: str, **data: Any) -> str:
    """A server message of ``type`` kind (hello, state, event, toast, stats, history...)."""
    return json.dumps({"type": kind, **data}, default=str)


__all__ = [
    "GATES",
    "MAX_COMMAND_BYTES",
    "MAX_SDP",
    "SCHEMA",
    "SETTINGS",
    "TRANSFER_MODES",
    "Command",
    "Op",
    "error_payload",
    "message",
    "parse_command",
    "reply",
    "reply_error",
]
