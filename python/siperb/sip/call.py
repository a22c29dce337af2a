"""Compatibility: the INVITE session moved to :mod:`siperb.sip.session`; import from there."""

from __future__ import annotations

from .session import (
    DTMF_RELAY,
    Call,
    CallState,
    Outcome,
    outcome_for,
    parse_dtmf_relay,
    parse_sipfrag_status,
)

__all__ = [
    "DTMF_RELAY",
    "Call",
    "CallState",
    "Outcome",
    "outcome_for",
    "parse_dtmf_relay",
    "parse_sipfrag_status",
]
