"""RFC 4733 telephone-events: DTMF digits carried in RTP.

:class:`DtmfSender` produces the packet sequence for one digit (marker on the first packet, an
update every packet time with the same timestamp and a growing duration, the end packet three
times); :class:`DtmfDetector` turns received packets, in any order, with losses and
retransmissions, into each digit exactly once (events are keyed on their RTP timestamp).
"""

from __future__ import annotations

from .._core import (
    DtmfDetector,
    DtmfDigit,
    DtmfPacket,
    DtmfSender,
    TelephoneEvent,
    digit_from_event,
    event_from_digit,
)

DIGITS = "0123456789*#ABCD"


def duration_ms(digit: DtmfDigit, clock_rate: int = 8000) -> float:
    """A detected digit's duration in milliseconds."""
    return digit.duration * 1000.0 / clock_rate


__all__ = [
    "DIGITS",
    "DtmfDetector",
    "DtmfDigit",
    "DtmfPacket",
    "DtmfSender",
    "TelephoneEvent",
    "digit_from_event",
    "duration_ms",
    "event_from_digit",
]
