"""Commands from the page, carried out on the Phone; Enable* gates checked here first.

The phone's verbs enforce the options too; checking here as well means a refused command
never reaches the phone at all, whatever verb it maps to (the page hiding a control is a
convenience, this is the rule).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import SiperbError
from ..phone.i18n import match_language
from .browser_audio import BROWSER_DEVICE
from .protocol import GATES, MAX_HISTORY_PAGE, Command
from .state import device_view, history_row

Handler = Callable[[Any, Command], Awaitable[Any]]


class CommandRunner:
    """Runs one parsed command against ``phone``; the frame supplies what is not the phone's."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    async def run(self, phone: Any, cmd: Command) -> Any:
        feature = GATES.get(cmd.op)
        if feature is not None:
            phone.options.require(feature)
        handler: Handler | None = getattr(self, "op_" + cmd.op, None)
        if handler is None:  # every SCHEMA op has a handler; hello is the frame's own
            raise SiperbError(f"UI command op: {cmd.op} is not handled here", field="op",
                              reason="unknown command")  # fmt: skip
        return await handler(phone, cmd)

    # ---- calls ----

    async def op_dial(self, phone: Any, cmd: Command) -> Any:
        known = [r.remote_uri for r in await phone.history(200)]
        call = await phone.dial(cmd.args["target"], known=known)
        return {"call": call.id}

    async def op_answer(self, phone: Any, cmd: Command) -> Any:
        call = await phone.answer(cmd.get("call"))
        return {"call": call.id}

    async def op_decline(self, phone: Any, cmd: Command) -> Any:
        await phone.decline(cmd.get("call"))

    async def op_hangup(self, phone: Any, cmd: Command) -> Any:
        await phone.end_call(cmd.get("call"))

    async def op_hold(self, phone: Any, cmd: Command) -> Any:
        await (phone.hold if cmd.args["on"] else phone.unhold)(cmd.get("call"))

    async def op_mute(self, phone: Any, cmd: Command) -> Any:
        await (phone.mute if cmd.args["on"] else phone.unmute)(cmd.get("call"))

    async def op_dtmf(self, phone: Any, cmd: Command) -> Any:
        await phone.send_dtmf(cmd.args["digits"], cmd.get("call"))

    async def op_transfer(self, phone: Any, cmd: Command) -> Any:
        if cmd.args["mode"] == "attended":
            consult = await phone.attended_transfer(cmd.args["target"], cmd.get("call"))
            return {"call": consult.id}
        # A blind transfer waits for the far end's NOTIFY: do not hold the reply for it.
        task = asyncio.ensure_future(phone.blind_transfer(cmd.args["target"], cmd.get("call")))
        self.frame.keep(task)
        return None

    async def op_transfer_complete(self, phone: Any, cmd: Command) -> Any:
        task = asyncio.ensure_future(phone.complete_transfer(cmd.get("call")))
        self.frame.keep(task)

    async def op_transfer_cancel(self, phone: Any, cmd: Command) -> Any:
        await phone.cancel_transfer(cmd.get("call"))

    async def op_record(self, phone: Any, cmd: Command) -> Any:
        if cmd.args["on"]:
            path = await phone.start_recording(cmd.get("call"))
            return {"recording": True, "file": _basename(path)}
        await phone.stop_recording(cmd.get("call"))
        return {"recording": False}

    # ---- devices, settings, history ----

    async def op_devices(self, phone: Any, cmd: Command) -> Any:
        devices = await asyncio.to_thread(phone.devices)  # PortAudio probes: blocking
        return {"devices": [device_view(d) for d in devices], **self.frame.chosen_devices}

    async def op_select_device(self, phone: Any, cmd: Command) -> Any:
        inp, out, ringer = cmd.get("input"), cmd.get("output"), cmd.get("ringer")
        if inp is not None or out is not None:
            # The page changes one list at a time: the other keeps what was chosen in it.
            chosen = self.frame.chosen_devices
            inp_ = inp if inp is not None else _native(chosen, "input")
            out_ = out if out is not None else _native(chosen, "output")
            await phone.select_device(input=inp_, output=out_)
        for key, value in (("input", inp), ("output", out), ("ringer", ringer)):
            if value is not None:
                self.frame.chosen_devices[key] = value
        return dict(self.frame.chosen_devices)

    async def op_set_setting(self, phone: Any, cmd: Command) -> Any:
        key, value = cmd.args["key"], cmd.args["value"]
        if key == "Language" and value != "auto" and match_language(value) is None:
            raise SiperbError(f"UI command value: unsupported language {value!r}",
                              field="value", reason="unsupported language")  # fmt: skip
        await phone.settings.set(key, value)
        return {"key": key, "value": value}

    async def op_history(self, phone: Any, cmd: Command) -> Any:
        offset, limit = cmd.get("offset", 0), cmd.get("limit", 20) or 20
        rows = await phone.history(min(limit, MAX_HISTORY_PAGE), offset=offset)
        return {"rows": [history_row(r) for r in rows], "offset": offset,
                "missed": await self.frame.missed_count()}  # fmt: skip

    async def op_seen_missed(self, phone: Any, cmd: Command) -> Any:
        self.frame.mark_missed_seen()
        return {"missed": 0}


def _native(chosen: dict[str, str], key: str) -> str | None:
    """The native device chosen for ``key`` (not "This browser", which is no sound card)."""
    value = chosen.get(key)
    return value if value and value != BROWSER_DEVICE else None


def _basename(path: Any) -> str | None:
    """Only the file name goes to the page (not where this machine keeps it)."""
    if path is None:
        return None
    return str(path).replace("\\", "/").rsplit("/", 1)[-1]


__all__ = ["CommandRunner"]
