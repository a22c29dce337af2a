"""A call record's SDK CDR fields (``TerminatedBy``, ``TalkTime``, ``ReasonCode`` ...).

:class:`~siperb.phone.history.CallRecord` keeps the Python names; this mixin adds the SDK's
call-detail-record names read from them, so an application ported from the browser SDK finds
``record.TerminatedBy`` / ``record.ReasonCode`` as it knows them, and :meth:`CdrFields.to_cdr`
gives the whole record as the SDK's dict.

- ``TerminatedBy``: ``"us"`` (we hung up) or ``"them"``; None when unknown (a lost connection).
- ``Duration``: start to end, ringing included; ``TalkTime``: answered seconds (0 if never).
- ``ReasonCode``/``ReasonText``: the final SIP status (200 OK for an answered call) or, for a
  row closed without seeing its end, 0 and why.
- ``Events``: the call's log, written to the store when the call ends (one transaction, so a
  DTMF-heavy call costs no disk writes mid-call; a process killed mid-call leaves it empty),
  capped at ``history.MAX_CALL_EVENTS``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

_TERMINATED_BY = {"local": "us", "remote": "them"}


class CdrFields:
    """The SDK's CDR names over a call record's fields (read-only properties)."""

    call_id: str
    direction: str
    remote_uri: str
    remote_name: str | None
    start_time: datetime
    answer_time: datetime | None
    end_time: datetime | None
    duration: float | None
    outcome: str | None
    hangup_by: str | None
    sip_status: int | None
    sip_reason: str | None
    end_reason: str | None
    recording: str | None
    events: tuple[dict[str, Any], ...]

    @property
    def Events(self) -> list[dict[str, Any]]:
        """The call's event log: ``{"time", "name", "data"}`` each (state changes, hold, DTMF,
        transfer, recording), oldest first, at most ``MAX_CALL_EVENTS``."""
        return list(self.events)

    @property
    def TerminatedBy(self) -> str | None:
        return _TERMINATED_BY.get(self.hangup_by or "")

    @property
    def StartTime(self) -> datetime:
        return self.start_time

    @property
    def AnswerTime(self) -> datetime | None:
        return self.answer_time

    @property
    def EndTime(self) -> datetime | None:
        return self.end_time

    @property
    def Duration(self) -> float:
        """Seconds from start to end (ringing included); so far, while ongoing."""
        end = self.end_time or datetime.now(self.start_time.tzinfo)
        return max(0.0, (end - self.start_time).total_seconds())

    @property
    def TalkTime(self) -> float:
        """Answered seconds (0 for an unanswered call or an unknown length)."""
        return self.duration or 0.0

    @property
    def ReasonCode(self) -> int:
        if self.sip_status is not None:
            return self.sip_status
        return 200 if self.answer_time is not None and self.end_reason is None else 0

    @property
    def ReasonText(self) -> str:
        if self.sip_reason:
            return self.sip_reason
        if self.end_reason:
            return self.end_reason
        return "OK" if self.answer_time is not None else (self.outcome or "")

    def to_cdr(self) -> dict[str, Any]:
        """The record as the SDK's CDR dict (times as ISO 8601 strings)."""
        iso = {k: (v.isoformat() if v is not None else None) for k, v in (
            ("StartTime", self.start_time), ("AnswerTime", self.answer_time),
            ("EndTime", self.end_time))}  # fmt: skip
        return {
            "CallId": self.call_id,
            "Direction": self.direction,
            "RemoteUri": self.remote_uri,
            "RemoteName": self.remote_name,
            "TerminatedBy": self.TerminatedBy,
            **iso,
            "Duration": self.Duration,
            "TalkTime": self.TalkTime,
            "ReasonCode": self.ReasonCode,
            "ReasonText": self.ReasonText,
            "Outcome": self.outcome,
            "Recording": self.recording,
            "Events": [{**e, "time": e["time"].isoformat()} for e in self.events],
        }


__all__ = ["CdrFields"]
