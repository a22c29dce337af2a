"""The port between an INVITE session and whatever carries its media.

A session asks its :class:`MediaHandler` for offers and answers, hands it the far end's
descriptions and tells it about hold and DTMF. The media layer implements it
(:class:`siperb.media.SdpOnlyMedia`, :class:`siperb.media.EngineMedia`); the signalling stack
never imports an implementation, so it can be tested with any object of this shape.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ...errors import SdpParseError, SiperbError
from ...sdp import Direction, SessionDescription

#: Digits a call may send, by RFC 4733 or SIP INFO (case-insensitive A-D).
DTMF_DIGITS = frozenset("0123456789*#ABCDabcd")


@runtime_checkable
class MediaHandler(Protocol):
    """What a call needs from media. Raise SdpNegotiationError to refuse an offer (488)."""

    def create_offer(self) -> SessionDescription:
        """Our initial offer (INVITE without re-use of a previous description)."""

    def create_answer(self, offer: SessionDescription) -> SessionDescription:
        """Answer the far end's initial offer."""

    def apply_answer(self, answer: SessionDescription) -> None:
        """The far end answered our last offer: start or adjust media."""

    def update(self, remote: SessionDescription) -> SessionDescription:
        """A new offer from the far end (re-INVITE/UPDATE, e.g. its hold): return our answer."""

    def hold(self, direction: Direction) -> SessionDescription:
        """A re-offer with ``direction`` (sendonly/inactive to hold, sendrecv to resume)."""

    def send_dtmf_rfc4733(self, digit: str) -> None:
        """Send one digit as RFC 4733 telephone-events on the RTP stream."""

    def close(self) -> None:
        """Release ports and stop media; called once when the call ends."""


def warning_for(exc: SiperbError) -> tuple[int, str]:
    """The RFC 3261 20.43 warn-code and text saying why an SDP was refused.

    302 for a transport we cannot use (SAVPF without DTLS, a changed transport), 304 for no
    usable audio stream, 305 for no common codec, 306 for a missing or malformed attribute
    (fingerprint, ICE credentials, setup), 399 otherwise.
    """
    text = str(exc.reason or exc)
    field = (exc.field or "").lower()
    low = text.lower()
    if isinstance(exc, SdpParseError):
        code = 306 if field.startswith("a=") else 399
    elif "transport" in low or "webrtc profile" in low:
        code = 302
    elif "codec" in low:
        code = 305
    elif field.startswith("a=") or "a=" in low:
        code = 306
    elif "audio" in low:
        code = 304
    else:
        code = 399
    return code, text


def warning_header(exc: SiperbError, agent: str = "siperb") -> tuple[str, str]:
    """A ``Warning`` header for a 488 (RFC 3261 20.43: ``<code> <agent> "<text>"``)."""
    code, text = warning_for(exc)
    short = text[:200].replace("\r", " ").replace("\n", " ")
    quoted = short.replace("\\", "\\\\").replace('"', '\\"')
    return "Warning", f'{code} {agent} "{quoted}"'
