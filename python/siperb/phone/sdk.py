"""The SDK's PascalCase verbs, in the SDK's argument order: the session id first.

``phone.Hold(call.id)``, ``phone.BlindTransfer(call.id, "1002")``,
``phone.SendDtmf(call.id, "1", "inband")``: each takes the session as a Call or its id (the SDK
passes ids around). Verbs whose only argument is the session accept none too (the call in
progress, or the ringing one for Answer/Decline). A wrong argument raises a
:class:`~siperb.errors.SiperbError` whose ``field`` is the SDK's argument name (``SessionId``).
The snake_case twins keep Python-friendly forms (:mod:`siperb.phone.verbs`).
"""

from __future__ import annotations

from typing import Any

from ..errors import SiperbError
from .call import Call
from .transfer import TransferVerbs

SessionArg = Call | str
SESSION = "SessionId"


class SdkVerbs(TransferVerbs):
    """``Dial``, ``Answer``, ``Hold`` ... with the SDK's signatures."""

    def _session(self, value: object, *, incoming: bool = False) -> Call:
        if value is None:
            return self._pick(None, incoming=incoming, field=SESSION)
        return self._resolve(value, SESSION)

    async def Dial(self, number: str, withVideo: bool = False) -> Call:
        """Call ``number`` (or a buddy id: its number); video calls are not supported (refused,
        not sent as audio)."""
        if withVideo:
            raise SiperbError("video calls are not supported", field="withVideo",
                              reason="audio only")  # fmt: skip
        return await self.dial(number)

    async def Answer(self, SessionId: SessionArg | None = None) -> Call:
        return await self.answer(self._session(SessionId, incoming=True))

    async def Decline(self, SessionId: SessionArg | None = None) -> None:
        await self.decline(self._session(SessionId, incoming=True))

    async def EndCall(self, SessionId: SessionArg | None = None) -> None:
        await self.end_call(self._session(SessionId))

    async def Hold(self, SessionId: SessionArg | None = None) -> None:
        await self.hold(self._session(SessionId))

    async def Unhold(self, SessionId: SessionArg | None = None) -> None:
        await self.unhold(self._session(SessionId))

    async def Mute(self, SessionId: SessionArg | None = None) -> None:
        await self.mute(self._session(SessionId))

    async def Unmute(self, SessionId: SessionArg | None = None) -> None:
        await self.unmute(self._session(SessionId))

    async def SendDtmf(self, SessionId: SessionArg, digits: str,
                       DtmfType: str | None = None) -> None:  # fmt: skip
        """``DtmfType``: ``"inband"`` (RFC 4733) or ``"info"`` (SIP INFO); default: settings."""
        self.options.require("dtmf")
        await self.send_dtmf(digits, self._session(SessionId), method=DtmfType)

    async def BlindTransfer(self, SessionId: SessionArg, target: str) -> int:
        self.options.require("transfer")
        return await self.blind_transfer(target, self._session(SessionId))

    async def AttendedTransfer(self, SessionId: SessionArg,
                               target: str) -> Call:  # fmt: skip
        """Hold the call, dial ``target``; the child session to complete or cancel."""
        self.options.require("transfer")
        return await self.attended_transfer(target, self._session(SessionId))

    async def CompleteTransfer(self, SessionId: SessionArg | None = None) -> int:
        """Complete the transfer whose consultation (child) session this is."""
        return await self.complete_transfer(SessionId, field=SESSION)

    async def CancelTransfer(self, SessionId: SessionArg | None = None) -> None:
        return await self.cancel_transfer(SessionId, field=SESSION)

    async def StartRecording(self, SessionId: SessionArg | None = None,
                             path: str | None = None) -> Any:  # fmt: skip
        self.options.require("recording")
        return await self.start_recording(self._session(SessionId), path)

    async def StopRecording(self, SessionId: SessionArg | None = None) -> Any:
        self.options.require("recording")
        return await self.stop_recording(self._session(SessionId))


__all__ = ["SdkVerbs"]
