"""The public Call: one call of a :class:`~siperb.phone.Phone`, as an application sees it.

It wraps a :class:`siperb.sip.session.InviteSession` (which owns the SIP dialog) and adds what the
phone knows: the session state in the SDK's words (``on_hold`` included), who hung up, the times
that go into the call history, and the muted/recording flags. Its methods go through a
:class:`CallControl` (the phone), so every Enable* option is enforced in one place whichever object
the application holds.
"""

from __future__ import annotations

import asyncio
import enum
import time
from typing import Any, Protocol

from ..errors import MediaError
from ..sip.session import CallState, InviteSession, Outcome
from .history import CallRecord, HangupBy
from .i18n import Translator


class SessionState(str, enum.Enum):
    """What ``session_state_change`` reports (the SIP states plus a held call)."""

    CALLING = "calling"
    INCOMING = "incoming"
    RINGING = "ringing"
    EARLY_MEDIA = "early_media"
    ESTABLISHED = "established"
    ON_HOLD = "on_hold"
    TERMINATED = "terminated"


#: State -> catalogue key of its user-facing name.
STATE_LABELS: dict[SessionState, str] = {
    SessionState.CALLING: "call.state.calling",
    SessionState.INCOMING: "call.state.ringing",
    SessionState.RINGING: "call.state.ringing",
    SessionState.EARLY_MEDIA: "call.state.ringing",
    SessionState.ESTABLISHED: "call.state.connected",
    SessionState.ON_HOLD: "call.state.on_hold",
    SessionState.TERMINATED: "call.state.ended",
}

#: Outcome -> catalogue key of the toast shown when an unanswered call ends that way.
OUTCOME_TOASTS: dict[Outcome, str] = {
    Outcome.BUSY: "call.busy",
    Outcome.DECLINED: "call.declined",
    Outcome.NOT_FOUND: "call.not_found",
    Outcome.TIMEOUT: "call.no_answer",
    Outcome.UNAVAILABLE: "call.no_answer",
    Outcome.CANCELLED: "call.cancelled",
}


def session_state(call: InviteSession) -> SessionState:
    """The session state of a SIP call (established + our hold = on hold)."""
    if call.state is CallState.ESTABLISHED and call.local_hold:
        return SessionState.ON_HOLD
    return SessionState(call.state.value)


class CallControl(Protocol):
    """The verbs a :class:`Call` hands on, with the call as argument (the Phone's verbs)."""

    translator: Translator

    async def answer(self, call: Call | str | None = None) -> Call: ...
    async def decline(self, call: Call | str | None = None) -> None: ...
    async def end_call(self, call: Call | str | None = None) -> None: ...
    async def hold(self, call: Call | str | None = None) -> None: ...
    async def unhold(self, call: Call | str | None = None) -> None: ...
    async def mute(self, call: Call | str | None = None) -> None: ...
    async def unmute(self, call: Call | str | None = None) -> None: ...
    async def send_dtmf(self, digits: str, call: Call | str | None = None, *,
                        method: str | None = None) -> None: ...  # fmt: skip
    async def blind_transfer(self, target: str, call: Call | str | None = None) -> int: ...
    async def start_recording(self, call: Call | str | None = None,
                              path: str | None = None) -> Any: ...  # fmt: skip
    async def stop_recording(self, call: Call | str | None = None) -> Any: ...


class Call:
    """One call; take it from :meth:`Phone.dial` or the ``incoming_call`` event."""

    def __init__(self, phone: CallControl, sip_call: InviteSession):
        self.phone = phone
        self.sip = sip_call
        self.state = session_state(sip_call)
        self.start_time = time.time()
        self.answer_time: float | None = None
        self.end_time: float | None = None
        self.hangup_by: HangupBy | None = None
        self.muted = False
        self.recording = False
        self.recording_path: str | None = None  # the last recording's file, kept in the history
        self.record: CallRecord | None = None  # the history row, once the call ended
        self.recorded: asyncio.Event = asyncio.Event()  # set when the row is written
        self._local_end = False
        self._events: list[tuple[float, str, dict[str, Any]]] = []  # the CDR's Events, to store
        self._waiters: list[asyncio.Future[None]] = []

    def __repr__(self) -> str:
        return f"<Call {self.direction} {self.remote_uri} {self.state.value}>"

    # ---- what the SIP call knows ----

    @property
    def id(self) -> str:
        """The call's id in this phone: the SessionId the SDK-style verbs take."""
        return self.sip.id

    @property
    def call_id(self) -> str:
        """The SIP Call-ID (the history key); empty until the INVITE is built."""
        if self.sip.dialog is not None:
            return self.sip.dialog.call_id
        return (self.sip.invite.call_id or "") if self.sip.invite is not None else ""

    @property
    def direction(self) -> str:
        """``inbound`` or ``outbound``."""
        return self.sip.direction

    @property
    def remote_uri(self) -> str:
        """The far end's SIP URI."""
        return self.sip.remote_uri

    @property
    def remote_name(self) -> str | None:
        """The far end's display name from the INVITE (ours or theirs), if any."""
        invite = self.sip.invite
        if invite is None:
            return None
        party = invite.from_ if self.direction == "inbound" else invite.to
        name = party.display_name if party is not None else None
        return name or None

    @property
    def outcome(self) -> Outcome | None:
        """How the call ended (answered, missed, busy ...); None while it lasts."""
        return self.sip.outcome

    @property
    def status(self) -> int:
        """The last SIP status code of the INVITE (0 before any response)."""
        return self.sip.status

    @property
    def reason(self) -> str:
        """The reason phrase that went with :attr:`status`."""
        return self.sip.reason

    @property
    def held(self) -> bool:
        """True while we hold the call."""
        return self.sip.local_hold

    @property
    def remote_hold(self) -> bool:
        """True while the far end holds the call."""
        return self.sip.remote_hold

    @property
    def ended(self) -> bool:
        """True once the call is terminated."""
        return self.state is SessionState.TERMINATED

    @property
    def duration(self) -> float:
        """Seconds since the answer (to the end once ended); 0 if never answered."""
        if self.answer_time is None:
            return 0.0
        return max(0.0, (self.end_time or time.time()) - self.answer_time)

    @property
    def label(self) -> str:
        """The current state in the phone's language."""
        return self.phone.translator.t(STATE_LABELS[self.state])

    # ---- audio ----

    def set_source(self, source: Any) -> None:
        """Send audio from ``source`` (any ``siperb.media.audio`` source: BufferSource, ToneSource,
        WavFileSource, a device) instead of the phone's default; how a voice bot speaks."""
        self._engine_media("set_source").set_source(source)

    def set_sink(self, sink: Any) -> None:
        """Deliver received audio to ``sink`` (for example a BufferSink a voice bot reads)."""
        self._engine_media("set_sink").set_sink(sink)

    def _engine_media(self, what: str) -> Any:
        media = self.sip.media
        if not hasattr(media, what):
            raise MediaError(f"{what}: this call has no media engine session", field="media")
        return media

    # ---- waiting ----

    def _set_state(self, state: SessionState) -> SessionState | None:
        """Record a new state; the previous one, or None when nothing changed."""
        if state is self.state or self.ended:
            return None
        previous, self.state = self.state, state
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)
        return previous

    async def wait_for(self, *states: SessionState | str, timeout: float | None = None) -> str:
        """Wait until the call is in one of ``states`` or ended; returns the state reached."""
        wanted = {SessionState(s) for s in states}

        async def until() -> None:
            while not (self.state in wanted or self.ended):
                fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._waiters.append(fut)
                await fut

        await asyncio.wait_for(until(), timeout)
        return self.state.value

    async def wait_ended(self, timeout: float | None = None) -> CallRecord | None:
        """Wait until the call ended and its history row is written; returns the row."""
        await asyncio.wait_for(self.recorded.wait(), timeout)
        return self.record

    # ---- actions (enforced by the phone) ----

    async def answer(self) -> None:
        """Answer this inbound call."""
        await self.phone.answer(self)

    async def decline(self) -> None:
        """Refuse this inbound call while it rings."""
        await self.phone.decline(self)

    async def hangup(self) -> None:
        """End the call, whatever its state."""
        await self.phone.end_call(self)

    end_call = hangup

    async def hold(self) -> None:
        """Put the call on hold (a re-INVITE with sendonly)."""
        await self.phone.hold(self)

    async def unhold(self) -> None:
        """Resume the held call."""
        await self.phone.unhold(self)

    async def mute(self) -> None:
        """Stop sending our audio; the call stays up."""
        await self.phone.mute(self)

    async def unmute(self) -> None:
        """Send our audio again."""
        await self.phone.unmute(self)

    async def send_dtmf(self, digits: str, method: str | None = None) -> None:
        """``method``: the SDK's DtmfType, ``"inband"`` or ``"info"`` (default: settings)."""
        await self.phone.send_dtmf(digits, self, method=method)

    async def blind_transfer(self, target: str) -> int:
        """Transfer the call to ``target`` with REFER; the final SIP status of the REFER."""
        return await self.phone.blind_transfer(target, self)

    async def start_recording(self, path: str | None = None) -> Any:
        """Record the call to a stereo WAV (``path`` or a temporary file); the file's path."""
        return await self.phone.start_recording(self, path)

    async def stop_recording(self) -> Any:
        """Stop recording; the finished file's path."""
        return await self.phone.stop_recording(self)

    # SDK-style names
    Answer = answer
    Decline = decline
    EndCall = hangup
    Hold = hold
    Unhold = unhold
    Mute = mute
    Unmute = unmute
    SendDtmf = send_dtmf


__all__ = [
    "OUTCOME_TOASTS",
    "STATE_LABELS",
    "Call",
    "CallControl",
    "SessionState",
    "session_state",
]
