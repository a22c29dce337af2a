"""The port between an INVITE session and whatever carries its media.

A session asks its :class:`MediaHandler` for offers and answers, hands it the far end's
descriptions and tells it about hold and DTMF. The media layer implements it
(:class:`siperb.media.SdpOnlyMedia`, :class:`siperb.media.EngineMedia`); the signalling stack
never imports an implementation, so it can be tested with any object of this shape.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

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
