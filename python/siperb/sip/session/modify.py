"""Session modification (RFC 3261 14, RFC 3311): re-INVITE and UPDATE, hold and resume.

We re-offer with a re-INVITE (one retry after 491, waiting as 14.1 says); the far end's
re-INVITE or UPDATE is answered from the media, its hold (sendonly/inactive or a null address)
is reported as ``hold``, and a re-INVITE that crosses ours gets 491 (glare).
"""

from __future__ import annotations

import asyncio
import random

from ...errors import SdpNegotiationError, SdpParseError, SiperbError
from ...sdp import Direction, SessionDescription
from .. import Message
from ..transaction import ServerTransaction
from ..transaction import cseq_of as _cseq
from .base import SessionBase
from .offer_answer import warning_header


class ModifyMixin(SessionBase):
    """Re-offers both ways."""

    async def _reoffer(self, offer: SessionDescription) -> Message:
        """A re-INVITE with ``offer``; ACKs the 2xx and applies the answer; one 491 retry."""
        for attempt in range(2):
            self._reinvite_pending = True
            try:
                response = await self._request("INVITE", [("Allow", self.ua.ALLOW)],
                                               str(offer).encode(), "application/sdp")  # fmt: skip
            finally:
                self._reinvite_pending = False
            status = response.status or 0
            if 200 <= status < 300:
                self._send_ack(_cseq(response).number)
                if response.body:
                    self.media.apply_answer(SessionDescription.parse(response.body))
                return response
            if status == 491 and attempt == 0:
                # 14.1: the Call-ID owner waits 2.1-4 s, the other side 0-2 s (scaled to T1).
                scale = self.ua.config.timers.t1 / 0.5
                low, high = (2.1, 4.0) if self.direction == "outbound" else (0.0, 2.0)
                await asyncio.sleep(random.uniform(low, high) * scale)
                continue
            return response
        return response

    async def hold(self, inactive: bool = False) -> Message:
        """Put the far end on hold (re-INVITE with sendonly, or inactive)."""
        offer = self.media.hold(Direction.INACTIVE if inactive else Direction.SENDONLY)
        response = await self._reoffer(offer)
        if 200 <= (response.status or 0) < 300:
            self.local_hold = True
        return response

    async def resume(self) -> Message:
        """Take the call off hold (re-INVITE with sendrecv)."""
        response = await self._reoffer(self.media.hold(Direction.SENDRECV))
        if 200 <= (response.status or 0) < 300:
            self.local_hold = False
            self.media_expected()
        return response

    def _answer_offer(self, request: Message) -> str | None:
        """Our answer to a re-offer (None: refused, 488 sent by the caller)."""
        if not request.body:
            self._late_offer = True
            return str(self.media.hold(Direction.SENDONLY if self.local_hold else
                                       Direction.SENDRECV))  # fmt: skip
        offer = SessionDescription.parse(request.body)
        answer = self.media.update(offer)
        was = self.remote_hold
        direction = offer.media_direction(0) if offer.media else Direction.SENDRECV
        connection = offer.media_connection(0) if offer.media else None
        ice = bool(offer.media) and offer.media[0].proto.startswith("UDP/TLS/")
        self.remote_hold = direction in (Direction.SENDONLY, Direction.INACTIVE) or (
            not ice and connection is not None and connection.address in ("0.0.0.0", "::")
        )  # with ICE, c=0.0.0.0 is only a placeholder (RFC 8839 4.2.1)
        if was != self.remote_hold:
            self.ua.events.emit("hold", call=self, remote_hold=self.remote_hold,
                                direction=str(direction))  # fmt: skip
            if not self.remote_hold:
                self.media_expected()
        return str(answer)

    def _refuse_reoffer(self, tx: ServerTransaction, exc: SiperbError) -> None:
        """488 with a Warning (RFC 3261 20.43); the call goes on with the old session."""
        header = warning_header(exc)
        self.ua.events.emit("sdp_refused", call=self, what="offer", status=488,
                            warning=header[1], reason=str(exc))  # fmt: skip
        tx.respond(488, "Not Acceptable Here", [header])

    def _on_reinvite(self, request: Message, tx: ServerTransaction) -> None:
        if self._reinvite_pending:
            tx.respond(491, "Request Pending")
            return
        try:
            body = self._answer_offer(request)
        except (SdpNegotiationError, SdpParseError) as exc:
            self._refuse_reoffer(tx, exc)
            return
        assert self.dialog is not None
        response = tx.response(200, "OK", [("Contact", self.ua.contact()),
                                           ("Allow", self.ua.ALLOW),
                                           ("Content-Type", "application/sdp")],
                               (body or "").encode())  # fmt: skip
        tx.send(response)
        self._retransmit_2xx(response, tx)

    def _on_update(self, request: Message, tx: ServerTransaction) -> None:
        try:
            body = self._answer_offer(request) if request.body else None
        except (SdpNegotiationError, SdpParseError) as exc:
            self._refuse_reoffer(tx, exc)
            return
        self._late_offer = False
        if body is None:
            tx.respond(200, "OK", [("Contact", self.ua.contact())])
        else:
            tx.respond(200, "OK", [("Contact", self.ua.contact()),
                                   ("Content-Type", "application/sdp")], body.encode())  # fmt: skip
