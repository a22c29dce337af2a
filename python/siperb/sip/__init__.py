"""SIP messages (RFC 3261): parse, inspect, build and frame them.

The work is done in C++ (``siperb._core``): a message owns one buffer, headers are views into
it, and typed headers are interpreted when asked. Malformed input raises
:class:`siperb.errors.SipParseError` naming the header and the reason.

The stack, bottom up: ``transport``, ``transaction``, ``dialog``, ``auth``, ``resolver``; the
:class:`~siperb.sip.stack.SipStack` protocol that dialog owners are given; those owners
(``registration``, ``subscription``, the INVITE session in ``session/``); and the user agent
(``useragent``) composed of ``connection``, ``requests`` and ``router``. Nothing here imports
media, the phone or the apps.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._core import (
    Challenge,
    CSeq,
    Message,
    NameAddr,
    Reason,
    Replaces,
    StreamFramer,
    SubscriptionState,
    Uri,
    Via,
    sip_parse,
    sip_request,
    sip_response,
)
from .._core import Event as EventHeader

#: ``EventHeader`` is the RFC 6665 Event header (``msg.event``); application events are
#: :class:`siperb.events.Event`.

#: Authorization / Proxy-Authorization values share the Challenge type (scheme + params).
Credentials = Challenge

HeaderItems = Iterable[tuple[str, str]]


#: parse(data: bytes) -> Message. One datagram: octets after Content-Length are ignored; without
#: Content-Length the body is the rest. The native function itself, so the hot path has no
#: Python frame in between.
parse = sip_parse


def Request(method: str, uri: Uri | str, headers: HeaderItems = (), body: bytes = b"") -> Message:
    """Build a request; Content-Length is computed, header order kept."""
    return sip_request(method, str(uri), list(headers), bytes(body))


def Response(status: int, reason: str, headers: HeaderItems = (), body: bytes = b"") -> Message:
    """Build a response; Content-Length is computed, header order kept."""
    return sip_response(status, reason, list(headers), bytes(body))


__all__ = [
    "CSeq",
    "Challenge",
    "Credentials",
    "EventHeader",
    "Message",
    "NameAddr",
    "Reason",
    "Replaces",
    "Request",
    "Response",
    "StreamFramer",
    "SubscriptionState",
    "Uri",
    "Via",
    "parse",
]
