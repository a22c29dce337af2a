"""What is built from a request for its transaction: responses (RFC 3261 8.2.6), also for the
stateless refusals (a full table, a rate limit) sent before any transaction exists, and an
INVITE's ACK for a non-2xx final (17.1.1.3) and its CANCEL (9.1)."""

from __future__ import annotations

from ..errors import TransportError
from . import CSeq, Message, Request, Response

__all__ = ["DIALOG_CREATING", "ack_for", "cancel_for", "cseq_of", "response_to"]

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


def _same_transaction(request: Message, method: str, to: str) -> Message:
    """ACK and CANCEL copy the INVITE's top Via (same branch), Route, From, Call-ID, CSeq number."""
    headers: list[tuple[str, str]] = [("Via", request.header_values("Via")[0])]
    headers += [("Route", v) for v in request.header_values("Route")]
    headers += [
        ("Max-Forwards", "70"),
        ("From", request.header("From") or ""),
        ("To", to),
        ("Call-ID", request.call_id or ""),
        ("CSeq", f"{cseq_of(request).number} {method}"),
    ]
    return Request(method, str(request.uri), headers)


def ack_for(request: Message, response: Message) -> Message:
    """The ACK a client INVITE transaction sends for a non-2xx final response (17.1.1.3)."""
    return _same_transaction(request, "ACK", response.header("To") or "")


def cancel_for(request: Message) -> Message:
    """The CANCEL of a pending INVITE (9.1)."""
    return _same_transaction(request, "CANCEL", request.header("To") or "")
