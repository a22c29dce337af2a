"""INFO (RFC 6086) and DTMF: application/dtmf-relay both ways, RFC 4733 through the media.

Each digit received (by INFO or reported by the media) is kept in ``dtmf_received`` and emitted
as ``dtmf``; other INFO bodies become ``info`` events.
"""

from __future__ import annotations

from ...errors import TransportError
from .. import Message
from ..transaction import ServerTransaction
from .base import SessionBase
from .offer_answer import DTMF_DIGITS

DTMF_RELAY = "application/dtmf-relay"


def parse_dtmf_relay(body: bytes) -> str | None:
    """The ``Signal=`` of an application/dtmf-relay body (SIP INFO DTMF)."""
    for line in body.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition("=")
        if name.strip().lower() == "signal":
            digit = value.strip()
            if digit == "10":
                return "*"
            if digit == "11":
                return "#"
            return digit if len(digit) == 1 and digit in DTMF_DIGITS else None
    return None


class InfoMixin(SessionBase):
    """DTMF and other INFO traffic of a call."""

    def media_dtmf(self, digit: str) -> None:
        """A digit the media received as RFC 4733 telephone-events."""
        self.dtmf_received.append(digit)
        self.ua.events.emit("dtmf", call=self, digit=digit, method="rfc4733")

    async def send_dtmf(self, digits: str, method: str = "info", duration_ms: int = 160) -> None:
        """Send digits by SIP INFO (application/dtmf-relay) or RFC 4733 through the media."""
        for digit in digits:
            if digit not in DTMF_DIGITS:
                raise ValueError(f"not a DTMF digit: {digit!r}")
            if method == "rfc4733":
                self.media.send_dtmf_rfc4733(digit)
                continue
            body = f"Signal={digit}\r\nDuration={duration_ms}\r\n".encode()
            response = await self._request("INFO", (), body, DTMF_RELAY)
            if not 200 <= (response.status or 0) < 300:
                raise TransportError(f"INFO DTMF refused: {response.status} {response.reason}",
                                     field="INFO")  # fmt: skip

    def _on_info(self, request: Message, tx: ServerTransaction) -> None:
        ctype = (request.content_type or "").split(";")[0].strip().lower()
        if ctype == DTMF_RELAY:
            digit = parse_dtmf_relay(request.body)
            if digit is None:
                tx.respond(400, "Bad DTMF Signal")
                return
            tx.respond(200, "OK")
            self.dtmf_received.append(digit)
            self.ua.events.emit("dtmf", call=self, digit=digit, method="info")
        elif ctype == "application/dtmf":
            digit = request.body.decode("ascii", "replace").strip()
            tx.respond(200, "OK")
            self.dtmf_received.append(digit)
            self.ua.events.emit("dtmf", call=self, digit=digit, method="info")
        else:
            tx.respond(200, "OK")
            self.ua.events.emit("info", call=self, content_type=ctype, body=request.body)
