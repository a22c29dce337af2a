"""The INVITE session (RFC 3261 sections 13-15, RFC 3311, RFC 3515): one file per behaviour.

The session only speaks SDP through a :class:`~siperb.sip.session.offer_answer.MediaHandler`;
what plays the audio is the media layer's business (:mod:`siperb.media`). It reaches the rest of
the stack only through :class:`~siperb.sip.session.base.SessionStack`.
"""

from __future__ import annotations

from .base import SessionStack
from .info import DTMF_RELAY, parse_dtmf_relay
from .invite import InviteSession
from .offer_answer import DTMF_DIGITS, MediaHandler
from .state import CallState, Outcome, outcome_for
from .transfer import parse_sipfrag_status

__all__ = [
    "DTMF_DIGITS",
    "DTMF_RELAY",
    "CallState",
    "InviteSession",
    "MediaHandler",
    "Outcome",
    "SessionStack",
    "outcome_for",
    "parse_dtmf_relay",
    "parse_sipfrag_status",
]
