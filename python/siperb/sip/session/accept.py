"""Incoming INVITE (RFC 3261 13.3): ring, answer, 2xx retransmission, reject, Replaces.

A new INVITE is answered 180 at once (when the stack is configured to ring) and announced as
``incoming_call``; our 200 is re-sent until its ACK (13.3.1.4) and the call ended with BYE when
none comes. CANCEL ends an unanswered call with 487. An INVITE with Replaces (RFC 3891) takes
over the matching call: it is answered at once and the replaced call gets a BYE.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import TypeVar

from ...errors import SdpNegotiationError, SdpParseError, SiperbError, TransportError
from ...sdp import SessionDescription
from .. import Message
from ..dialog import Dialog, new_tag
from ..transaction import ServerTransaction
from ..transaction import cseq_of as _cseq
from .base import SessionBase, SessionStack, log
from .offer_answer import warning_header
from .state import CallState, Outcome, outcome_for

_A = TypeVar("_A", bound="AcceptMixin")


def _over_limit(ua: SessionStack) -> tuple[int, str, list[tuple[str, str]]] | None:
    """The refusal for a new INVITE when the configured call limits are reached, else None."""
    cfg = ua.config
    if cfg.max_calls is not None and len(ua.calls) >= cfg.max_calls:
        return 486, "Busy Here", []
    ringing = sum(1 for c in ua.calls if c.state is CallState.INCOMING)
    if cfg.max_ringing_calls is not None and ringing >= cfg.max_ringing_calls:
        return 503, "Service Unavailable", [("Retry-After", str(cfg.retry_after))]
    return None


class AcceptMixin(SessionBase):
    """The UAS side of the initial INVITE."""

    @classmethod
    def incoming(cls: type[_A], ua: SessionStack, request: Message,
                 tx: ServerTransaction) -> _A | None:  # fmt: skip
        replaced: SessionBase | None = None
        replaces = request.replaces
        if replaces is not None:
            tags = {replaces.to_tag, replaces.from_tag}
            replaced = next(
                (c for c in ua.calls if c.dialog is not None
                 and c.dialog.call_id == replaces.call_id
                 and {c.dialog.local_tag, c.dialog.remote_tag} == tags),
                None,
            )  # fmt: skip
            if replaced is None:
                tx.respond(481, "Call/Transaction Does Not Exist")
                return None
        refusal = None if replaced is not None else _over_limit(ua)
        if refusal is not None:  # before make_media: a refused INVITE binds no socket
            log.info("refusing an incoming call: %d %s", refusal[0], refusal[1])
            tx.respond(*refusal, to_tag=new_tag())  # RFC 3261 8.2.6.2
            return None
        try:
            media = ua.make_media()
        except Exception as exc:
            log.warning("no media for an incoming call: %s", exc)
            tx.respond(503, "Service Unavailable")
            return None
        call = cls(ua, "inbound", media)
        call.invite, call.invite_tx = request, tx
        call.remote_uri = str(request.from_.uri) if request.from_ is not None else ""
        call.dialog = Dialog.as_uas(request, new_tag())
        call._replaces = replaced
        if request.body:
            try:
                call._answer_body = str(media.create_answer(SessionDescription.parse(request.body)))
            except (SdpNegotiationError, SdpParseError) as exc:
                call._refuse_offer(exc)
                return call
        else:
            call._late_offer = True
            call._answer_body = ""
        ua.register_dialog(call.dialog.id, call)
        if replaced is not None:
            ua.spawn(call._take_over(replaced))
            return call
        if ua.config.send_ringing:
            tx.respond(180, "Ringing", [("Contact", ua.contact())], to_tag=call.dialog.local_tag)
        if ua.config.ring_timeout is not None:
            call._ring_timer = asyncio.get_running_loop().call_later(
                ua.config.ring_timeout, call._ring_timed_out
            )
        ua.events.emit("incoming_call", call=call, from_=request.header("From") or "")
        policy = ua.config.auto_answer
        if policy is not None and call.state is CallState.INCOMING:
            try:
                wanted = policy(call)
            except Exception:
                log.exception("auto-answer policy failed")
                wanted = False
            if wanted:
                ua.spawn(call.answer())
        return call

    def _ring_timed_out(self) -> None:
        self._ring_timer = None
        if self.state is CallState.INCOMING:
            seconds = self.ua.config.ring_timeout
            self._reject_now(480, "Temporarily Unavailable", Outcome.TIMEOUT,
                             f"not answered within {seconds:g} s")  # fmt: skip

    async def _take_over(self, replaced: SessionBase) -> None:
        """RFC 3891: answer the replacing INVITE and end the replaced call."""
        await self.answer()
        self.ua.events.emit("call_replaced", call=self, replaced=replaced)
        await replaced._bye(Outcome.REPLACED, 0, "replaced")

    def _reject_now(self, status: int, phrase: str, outcome: Outcome, reason: str = "",
                    headers: Sequence[tuple[str, str]] = ()) -> None:  # fmt: skip
        assert self.invite_tx is not None and self.dialog is not None
        self.invite_tx.respond(status, phrase, list(headers), to_tag=self.dialog.local_tag)
        self._terminate(outcome, status, reason or phrase)

    def _refuse_offer(self, exc: SiperbError) -> None:
        """488 with a Warning saying why (RFC 3261 20.43), and an ``sdp_refused`` event."""
        header = warning_header(exc)
        self.ua.events.emit("sdp_refused", call=self, what="offer", status=488,
                            warning=header[1], reason=str(exc))  # fmt: skip
        self._reject_now(488, "Not Acceptable Here", Outcome.NOT_ACCEPTABLE, str(exc), [header])

    async def ring(self) -> None:
        """Send 180 Ringing (done already when ``send_ringing`` is on)."""
        if self.state is CallState.INCOMING and self.invite_tx is not None:
            assert self.dialog is not None
            self.invite_tx.respond(180, "Ringing", [("Contact", self.ua.contact())],
                                   to_tag=self.dialog.local_tag)  # fmt: skip

    async def answer(self) -> None:
        """Accept an incoming call: 200 + SDP, retransmitted until the ACK."""
        if self.state is not CallState.INCOMING or self.invite_tx is None:
            return
        assert self.dialog is not None
        body = self._answer_body
        if self._late_offer:
            body = str(self.media.create_offer())
        answered = getattr(self.media, "answered", None)
        start = answered() if answered is not None else None
        if start is not None:
            # The media starts before our 200 goes out (the far end may send ICE checks,
            # DTLS and media once it has it), off the event loop; a refusal answers 488.
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(start)
            await asyncio.sleep(0)  # the refusal, if any, is scheduled before this resumes
            if self.state is not CallState.INCOMING or self.invite_tx is None:
                return
        response = self.invite_tx.response(
            200, "OK",
            [("Contact", self.ua.contact()), ("Allow", self.ua.ALLOW),
             ("Supported", "replaces"), ("Content-Type", "application/sdp")],
            body.encode(), to_tag=self.dialog.local_tag,
        )  # fmt: skip
        self.invite_tx.send(response)
        self._retransmit_2xx(response, self.invite_tx)
        self._set_state(CallState.ESTABLISHED)

    def _retransmit_2xx(self, response: Message, tx: ServerTransaction) -> None:
        """13.3.1.4: re-send the 2xx at T1, 2T1, ... T2 until the ACK; BYE after 64*T1."""
        timers = self.ua.config.timers
        loop = asyncio.get_running_loop()
        self._retx_cseq = _cseq(response).number
        if self._retx is not None:
            self._retx.cancel()
        self._acked.clear()
        deadline = loop.time() + timers.b
        self._retx = loop.call_later(timers.t1, self._resend_2xx, response, tx, deadline, timers.t1)

    def _resend_2xx(
        self, response: Message, tx: ServerTransaction, deadline: float, interval: float
    ) -> None:
        # A method, not a closure that schedules itself: such a closure is a reference cycle
        # through the call, so every answered call lived on until a full garbage collection.
        loop = asyncio.get_running_loop()
        if loop.time() >= deadline:
            self._retx = None
            # The BYE's task is scheduled before the wake-up of what waits for the ACK (a
            # hangup among them), so the call ends no_ack, saying why.
            self.ua.spawn(self._bye(Outcome.NO_ACK, 408, "no ACK for our 200"))
            self._acked.set()
            return
        with contextlib.suppress(TransportError):
            tx.flow.send_nowait(response)
        interval = min(interval * 2, self.ua.config.timers.t2)
        delay = min(interval, max(0.0, deadline - loop.time()))
        self._retx = loop.call_later(delay, self._resend_2xx, response, tx, deadline, interval)

    def on_ack(self, ack: Message) -> None:
        if _cseq(ack).number != self._retx_cseq:
            return
        if self._retx is not None:
            self._retx.cancel()
            self._retx = None
        self._acked.set()
        if self._refused_before_ack:  # our media refused the answer before the ACK came
            self._refuse_answer(self._refused_before_ack)
            return
        if self._late_offer and ack.body:
            self._late_offer = False
            try:
                self.media.apply_answer(SessionDescription.parse(ack.body))
            except SiperbError as exc:  # RFC 3261 13.3.1.4: an unusable answer in the ACK: BYE
                self._refuse_answer(str(exc))

    def on_cancel(self, cancel: Message) -> None:
        if self.state is CallState.INCOMING:
            self._reject_now(487, "Request Terminated", Outcome.CANCELLED, "cancelled by caller")

    async def reject(self, status: int = 486, phrase: str | None = None,
                     reason: str | None = None) -> None:  # fmt: skip
        """Refuse an incoming call (486 Busy Here by default); ``reason`` adds a Reason header."""
        if self.state is not CallState.INCOMING:
            return
        phrases = {486: "Busy Here", 603: "Decline", 480: "Temporarily Unavailable"}
        headers = [("Reason", f'SIP;cause={status};text="{reason}"')] if reason else []
        self._reject_now(status, phrase or phrases.get(status, "Rejected"), outcome_for(status),
                         reason or "", headers)  # fmt: skip

    async def decline(self, reason: str = "Declined") -> None:
        await self.reject(603, "Decline", reason)
