"""Where a call is (:class:`CallState`) and how it ended (:class:`Outcome`)."""

from __future__ import annotations

import enum


class CallState(str, enum.Enum):
    CALLING = "calling"  # our INVITE is out, nothing heard yet
    INCOMING = "incoming"  # an INVITE arrived and is not answered yet
    RINGING = "ringing"  # 180 received
    EARLY_MEDIA = "early_media"  # 183 with SDP received
    ESTABLISHED = "established"
    TERMINATED = "terminated"


class Outcome(str, enum.Enum):
    """How a call ended, in words an application can act on."""

    COMPLETED = "completed"  # answered, then hung up by either side
    BUSY = "busy"
    DECLINED = "declined"
    NOT_FOUND = "not_found"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    CANCELLED = "cancelled"
    NOT_ACCEPTABLE = "not_acceptable"
    AUTH_FAILED = "auth_failed"
    REJECTED = "rejected"
    TRANSPORT_ERROR = "transport_error"
    NO_ACK = "no_ack"
    REPLACED = "replaced"
    TRANSFERRED = "transferred"
    MEDIA_FAILED = "media_failed"  # ICE consent lost, DTLS failed (a wrong fingerprint)
    MEDIA_TIMEOUT = "media_timeout"  # no RTP for ``media_timeout`` seconds: the far end vanished


_OUTCOMES = {
    486: Outcome.BUSY, 600: Outcome.BUSY, 603: Outcome.DECLINED, 404: Outcome.NOT_FOUND,
    604: Outcome.NOT_FOUND, 408: Outcome.TIMEOUT, 480: Outcome.UNAVAILABLE,
    487: Outcome.CANCELLED, 488: Outcome.NOT_ACCEPTABLE, 606: Outcome.NOT_ACCEPTABLE,
    401: Outcome.AUTH_FAILED, 407: Outcome.AUTH_FAILED,
}  # fmt: skip


def outcome_for(status: int) -> Outcome:
    """The outcome a final failure status stands for (REJECTED when none fits better)."""
    return _OUTCOMES.get(status, Outcome.REJECTED)
