"""What the page is shown, as JSON-ready dicts: the phone's state, calls, history, stats.

Only what a user of the page may see: the account is its address, display name and server,
never a password or the SDK's SessionId; calls are named by their session id (``call.id``).
"""

from __future__ import annotations

import time
from typing import Any

from ..phone.notify import sdk_event

#: Registration states the page shows.
REGISTERING, REGISTERED = "registering", "registered"


def account(phone: Any) -> dict[str, Any]:
    """The read-only account panel (no secret: the password and SessionId stay here)."""
    prov = phone.provisioning
    return {"aor": prov.aor, "display_name": prov.display_name or prov.user,
            "server": prov.proxy_uri, "user": prov.user}  # fmt: skip


def initials(name: str) -> str:
    """Up to two initials for the avatar (``"Demo User"`` -> ``"DU"``, ``sip:1000@x`` -> ``1``)."""
    name = name.strip().removeprefix("sip:").removeprefix("sips:").split("@", 1)[0]
    words = [w for w in name.replace(".", " ").replace("_", " ").split() if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def call_view(call: Any, consulting: dict[Any, Any]) -> dict[str, Any]:
    """One call line: who, which state (and its label), held/muted/recording, since when."""
    original = consulting.get(call)
    return {
        "id": call.id,
        "direction": call.direction,
        "remote": call.remote_uri,
        "name": call.remote_name,
        "state": call.state.value,
        "label": call.label,
        "held": call.held,
        "remote_hold": call.remote_hold,
        "muted": call.muted,
        "recording": call.recording,
        "answered_at": int(call.answer_time * 1000) if call.answer_time else None,
        "consultation_of": original.id if original is not None else None,
    }


def snapshot(phone: Any, registration: str, ringer: str | None = None) -> dict[str, Any]:
    """Everything the page renders from (sent after each event). ``ringer``: the sound device
    that rings for incoming calls (then the page itself stays silent), None: the page rings."""
    consulting = dict(getattr(phone, "_transfers", {}))
    return {
        "registration": REGISTERED if phone.registered else registration,
        "calls": [call_view(c, consulting) for c in phone.calls],
        "now": int(time.time() * 1000),
        "ringer": ringer,
    }


def ringing(phone: Any) -> bool:
    """A call is incoming (not yet answered, declined or cancelled)."""
    return any(getattr(c.state, "value", c.state) == "incoming" for c in phone.calls)


def history_row(record: Any) -> dict[str, Any]:
    """A recent-calls row (the history store's CallRecord)."""
    return {
        "call_id": record.call_id,
        "direction": record.direction,
        "remote": record.remote_uri,
        "name": record.remote_name,
        "start": int(record.start_time.timestamp() * 1000),
        "duration": record.duration,
        "outcome": record.outcome,
    }


def stats_view(call: Any) -> dict[str, Any] | None:
    """Call quality for the in-call bar, or None while the call has no engine session."""
    session = getattr(getattr(call.sip, "media", None), "session", None)
    if session is None or not getattr(session, "started", False) or session.closed:
        return None
    s = session.stats()
    v = s.values
    return {"call": call.id, "codec": s.codec, "jitter_ms": round(float(v.get("jitter_ms", 0)), 1),
            "loss_percent": round(float(v.get("loss_percent", 0)), 1),
            "mos": round(float(v.get("mos", 0)), 2)}  # fmt: skip


def device_view(device: Any) -> dict[str, Any]:
    """A sound device for the selector (PortAudio's AudioDeviceInfo)."""
    return {
        "name": device.name,
        "host_api": device.host_api,
        "input": device.max_input_channels > 0,
        "output": device.max_output_channels > 0,
        "default_input": device.default_input,
        "default_output": device.default_output,
    }


def event_view(event: Any) -> dict[str, Any]:
    """The SDK's shape of a phone event (``{Event, Source, Data}``) with JSON-safe values."""
    sdk = sdk_event(event)
    out = {k: _jsonable(v) for k, v in sdk.data.items()}
    data = out.get("Data")
    if isinstance(data, dict):
        for key in ("Path", "Recording"):  # a file name, not where this machine keeps it
            if isinstance(data.get(key), str):
                data[key] = data[key].replace("\\", "/").rsplit("/", 1)[-1]
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "call_id") and hasattr(value, "start_time"):
        return history_row(value)
    return str(value)


__all__ = [
    "account",
    "call_view",
    "device_view",
    "event_view",
    "history_row",
    "initials",
    "ringing",
    "snapshot",
    "stats_view",
]
