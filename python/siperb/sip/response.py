"""Responses built from a request (RFC 3261 8.2.6), for transactions and for the stateless
refusals (a full table, a rate limit) that are sent before any transaction exists."""

from __future__ import annotations

from ..errors import TransportError
from . import CSeq, Message, Response

__all__ = ["DIALOG_CREATING", "cseq_of", "response_to"]

DIALOG_CREATING = frozenset({"INVITE", "SUBSCRIBE", "REFER"})


def cseq_of(message: Message) -> CSeq:
    """The CSeq of a message that passed :func:`TransactionLayer.receive`'s checks."""
    cseq = message.cseq
    if cseq is None:
        raise TransportError("message without CSeq", field="CSeq")
    return cseq


def response_to(
    req: Message,
    status: int,
    reason: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    to_tag: str | None = None,
) -> Message:
    """A response to ``req`` (8.2.6): Via, From, To, Call-ID, CSeq copied. Also what a
    request refused before it gets a transaction (a full table, a rate limit) is answered
    with, statelessly."""
    to = req.header("To") or ""
    if to_tag and status > 100 and (req.to is None or not req.to.tag):
        to = f"{to};tag={to_tag}"
    out: list[tuple[str, str]] = [("Via", v) for v in req.header_values("Via")]
    if 100 < status < 300 and (req.method or "") in DIALOG_CREATING:
        out += [("Record-Route", v) for v in req.header_values("Record-Route")]  # 12.1.1
    cseq = cseq_of(req)
    out += [
        ("From", req.header("From") or ""),
        ("To", to),
        ("Call-ID", req.call_id or ""),
        ("CSeq", f"{cseq.number} {cseq.method}"),
    ]
    if status == 100 and req.header("Timestamp"):
        out.append(("Timestamp", req.header("Timestamp") or ""))
    return Response(status, reason, out + list(headers or []), body)
