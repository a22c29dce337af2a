"""The INVITE session (RFC 3261 sections 13-15, RFC 3311, RFC 3515): one file per behaviour.

The session only speaks SDP through a :class:`~siperb.sip.session.offer_answer.MediaHandler`;
what plays the audio is the media layer's business (:mod:`siperb.media`).
"""

from __future__ import annotations

from .offer_answer import DTMF_DIGITS, MediaHandler

__all__ = ["DTMF_DIGITS", "MediaHandler"]
