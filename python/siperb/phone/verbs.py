"""The phone's call verbs (answer, hold, mute, DTMF, recording) with Python-friendly arguments.

Each takes the call as a :class:`~siperb.phone.call.Call` or its session id (``call.id``, what
the SDK passes around), or nothing for the call in progress; anything else is refused with an
error naming the argument. The SDK's PascalCase shapes are in :mod:`siperb.phone.sdk`.

DTMF types are the SDK's ``DtmfType``: ``"info"`` (SIP INFO) or ``"inband"`` (RFC 4733
telephone-events in the media; ``"rfc4733"``/``"rfc2833"`` are accepted too). Without one, the
profile's ``DtmfType`` setting decides, else ``info``.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any

from ..errors import SiperbError
from ..sip.session import DTMF_DIGITS, CallState
from .call import Call, SessionState
from .tracking import CallTracking

#: SDK DtmfType (and common spellings) -> the SIP layer's method.
DTMF_TYPES: dict[str, str] = {"info": "info", "inband": "rfc4733", "rfc4733": "rfc4733",
                              "rfc2833": "rfc4733"}  # fmt: skip
DEFAULT_DTMF_TYPE = "info"


def dtmf_method(dtmf_type: object) -> str:
    """The SIP layer's method for a DtmfType; unknown values are refused (never a silent INFO)."""
    key = dtmf_type.strip().lower() if isinstance(dtmf_type, str) else None
    if key is None or key not in DTMF_TYPES:
        raise SiperbError(f"DtmfType {dtmf_type!r} is not one of: inband, info", field="DtmfType",
                          reason="unknown DTMF type")  # fmt: skip
    return DTMF_TYPES[key]


class CallVerbs(CallTracking):
    """Dial, answer, hang up, hold, mute, DTMF and recording; every Enable* option enforced."""

    @property
    def calls(self) -> list[Call]:
        """Calls not ended yet, oldest first."""
        return [c for c in self._calls.values() if not c.ended]

    @property
    def current_call(self) -> Call | None:
        """The newest call that is not ringing in (the one actions apply to by default)."""
        for call in reversed(self.calls):
            if call.state is SessionState.INCOMING:
                continue
            return call
        return None

    def find_call(self, session_id: str) -> Call | None:
        """The live call with this session id (``call.id``), if any."""
        return next((c for c in self.calls if c.id == session_id), None)

    def _resolve(self, value: object, field: str) -> Call:
        """A Call from a Call or a session id; an error naming ``field`` otherwise."""
        if isinstance(value, Call):
            return value
        if isinstance(value, str):
            found = self.find_call(value)
            if found is None:
                raise SiperbError(f"{field}: no call with session id {value!r}", field=field,
                                  reason="unknown session")  # fmt: skip
            return found
        raise SiperbError(f"{field}: expected a Call or its session id, got "
                          f"{type(value).__name__}", field=field)  # fmt: skip

    def _pick(self, call: Call | str | None, *, incoming: bool = False,
              field: str = "call") -> Call:  # fmt: skip
        if call is not None:
            return self._resolve(call, field)
        if incoming:
            found = next((c for c in reversed(self.calls)
                          if c.state is SessionState.INCOMING), None)  # fmt: skip
        else:
            found = self.current_call
        if found is None:
            what = "no incoming call to answer" if incoming else "no call in progress"
            raise SiperbError(what, field=field)
        return found

    # ---- calling ----

    async def dial(self, target: str, *, known: Collection[str] = ()) -> Call:
        """Call ``target`` (``"1001"``, ``"user@host"``, a SIP URI or a buddy id: its number);
        returns at once."""
        ua = self._ua_ready()
        if not isinstance(target, str) or not target.strip():
            raise SiperbError("dial target is empty", field="target")
        target = self._buddy_number(target.strip()) or target.strip()
        allowed = set(known) | set(self._known_targets())
        if not self.options.enable_dial_pad and target not in allowed:
            history_uris = {r.remote_uri for r in await self._store().list(limit=500)}
            if target in history_uris or ua.normalize_target(target) in history_uris:
                allowed.add(target)
        self.options.check_dial_target(target, known=allowed)
        sip_call = await ua.call(target)
        return self._wrap(sip_call)

    async def answer(self, call: Call | str | None = None) -> Call:
        """Answer a ringing call; an established call in progress is held first (call waiting)."""
        call = self._pick(call, incoming=True)
        held: list[Call] = []
        if self.options.enable_call_hold:
            talking = [c for c in self.calls if c is not call and not c.held
                       and c.sip.state is CallState.ESTABLISHED]  # fmt: skip
            for other in talking:
                await self._reinvite(other, hold=True)
                held.append(other)
        try:
            await call.sip.answer()
        except BaseException:  # the new call is gone: back to the one we were on
            for other in held:
                if other.sip.state is CallState.ESTABLISHED:
                    await self._reinvite(other, hold=False)
            raise
        return call

    async def decline(self, call: Call | str | None = None) -> None:
        call = self._pick(call, incoming=True)
        call._local_end = True
        await call.sip.decline()

    async def end_call(self, call: Call | str | None = None) -> None:
        """Hang up however far the call got (CANCEL, decline or BYE)."""
        call = self._pick(call)
        call._local_end = True
        await call.sip.hangup()

    hangup = end_call

    async def hold(self, call: Call | str | None = None) -> None:
        self.options.require("hold")
        call = self._pick(call)
        await self._reinvite(call, hold=True)
        self.toast(self.translator.t("toast.on_hold"))

    async def unhold(self, call: Call | str | None = None) -> None:
        self.options.require("hold")
        call = self._pick(call)
        await self._reinvite(call, hold=False)
        self.toast(self.translator.t("toast.resumed"))

    resume = unhold

    async def _reinvite(self, call: Call, *, hold: bool) -> None:
        if call.sip.state is not CallState.ESTABLISHED:
            raise SiperbError(f"cannot {'hold' if hold else 'resume'} a call that is "
                              f"{call.state.value}", field="call")  # fmt: skip
        response = await (call.sip.hold() if hold else call.sip.resume())
        status = response.status or 0
        if not 200 <= status < 300:
            raise SiperbError(f"re-INVITE refused: {status} {response.reason}", field="INVITE",
                              reason=f"{status} {response.reason}")  # fmt: skip
        self._log_event(call, "hold" if hold else "resume", {"by": "local"})
        self._update_state(call)

    async def mute(self, call: Call | str | None = None) -> None:
        await self._set_muted(call, True)

    async def unmute(self, call: Call | str | None = None) -> None:
        await self._set_muted(call, False)

    async def _set_muted(self, call: Call | str | None, muted: bool) -> None:
        self.options.require("mute")
        target = self._pick(call)
        self.media.set_muted(target.sip, muted)
        target.muted = muted
        self._emit("mute", call=target, muted=muted)
        self.toast(self.translator.t("toast.muted" if muted else "toast.unmuted"))

    async def send_dtmf(self, digits: str, call: Call | str | None = None, *,
                        method: str | None = None) -> None:  # fmt: skip
        """Send DTMF ``digits``; ``method`` is a DtmfType (``"inband"``/``"info"``)."""
        self.options.require("dtmf")
        if not isinstance(digits, str) or not digits or any(d not in DTMF_DIGITS for d in digits):
            raise SiperbError(f"not DTMF digits: {digits!r}", field="digits")
        if method is None:
            method = await self._store().get_setting("DtmfType", DEFAULT_DTMF_TYPE)
        sip_method = dtmf_method(method)
        target = self._pick(call)
        await target.sip.send_dtmf(digits, sip_method)
        self._log_event(target, "dtmf_sent", {"digits": digits, "method": method})

    # ---- recording (through MediaControl) ----

    async def start_recording(self, call: Call | str | None = None,
                              path: str | None = None) -> Any:  # fmt: skip
        self.options.require("recording")
        target = self._pick(call)
        result = self.media.start_recording(target.sip, path)
        target.recording = True
        if isinstance(result, (str, os.PathLike)):
            target.recording_path = os.fspath(result)
        self._emit("recording_started", call=target, path=result)
        self.toast(self.translator.t("toast.recording_started"))
        return result

    async def stop_recording(self, call: Call | str | None = None) -> Any:
        self.options.require("recording")
        target = self._pick(call)
        result = self.media.stop_recording(target.sip)
        target.recording = False
        self._emit("recording_ended", call=target, recording=result)
        self.toast(self.translator.t("toast.recording_stopped"))
        return result


__all__ = ["DEFAULT_DTMF_TYPE", "DTMF_TYPES", "CallVerbs", "dtmf_method"]
