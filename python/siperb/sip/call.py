"""Calls: one INVITE dialog with its offer/answer, hold, DTMF, transfer and teardown.

Outbound: INVITE with our offer, 1xx (an early dialog; 183 with SDP is early media), 2xx + ACK
(re-sent for every retransmitted 2xx), CANCEL before the answer (a 200 that crosses the CANCEL is
ACKed and ended with BYE), failures mapped to an :class:`Outcome`. Inbound: 180 at once, answer
with 200 + SDP retransmitted until the ACK (RFC 3261 13.3.1.4; BYE when it never comes),
decline, 487 on CANCEL, INVITE with Replaces replacing the matching call. In the dialog:
re-INVITE/UPDATE (hold and resume both ways, 491 glare retry), INFO DTMF, REFER (blind and
attended, as transferor and as transferee, with sipfrag NOTIFYs), BYE.

Each state change emits ``call_state`` (``call``, ``state``, ``previous``) on the UA's hub; DTMF
emits ``dtmf``, remote hold ``hold``, transfer progress ``transfer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from ..errors import SdpNegotiationError, SdpParseError, SiperbError, TransportError
from ..sdp import Direction, SessionDescription
from . import Message
from .dialog import Dialog, new_tag
from .session import DTMF_DIGITS, MediaHandler
from .transaction import ClientTransaction, ServerTransaction, TransactionTimeout, cancel_for
from .transaction import cseq_of as _cseq

if TYPE_CHECKING:
    from .useragent import UserAgent

log = logging.getLogger("siperb.sip.call")


class CallState(str, enum.Enum):
    CALLING = "calling"  # our INVITE is out, nothing heard yet
    INCOMING = "incoming"  # an INVITE arrived and is not answered yet
    RINGING = "ringing"  # 180 received
    EARLY_MEDIA = "early_media"  # 183 with SDP received
    ESTABLISHED = "established"
    TERMINATED = "terminated"


class Outcome(str, enum.Enum):
    """How a call ended, in words an application can act on."""

    COMPLETED = "completed"  # answered, then hung up by either side
    BUSY = "busy"
    DECLINED = "declined"
    NOT_FOUND = "not_found"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    CANCELLED = "cancelled"
    NOT_ACCEPTABLE = "not_acceptable"
    AUTH_FAILED = "auth_failed"
    REJECTED = "rejected"
    TRANSPORT_ERROR = "transport_error"
    NO_ACK = "no_ack"
    REPLACED = "replaced"
    TRANSFERRED = "transferred"


_OUTCOMES = {
    486: Outcome.BUSY, 600: Outcome.BUSY, 603: Outcome.DECLINED, 404: Outcome.NOT_FOUND,
    604: Outcome.NOT_FOUND, 408: Outcome.TIMEOUT, 480: Outcome.UNAVAILABLE,
    487: Outcome.CANCELLED, 488: Outcome.NOT_ACCEPTABLE, 606: Outcome.NOT_ACCEPTABLE,
    401: Outcome.AUTH_FAILED, 407: Outcome.AUTH_FAILED,
}  # fmt: skip


def outcome_for(status: int) -> Outcome:
    return _OUTCOMES.get(status, Outcome.REJECTED)


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


def parse_sipfrag_status(body: bytes) -> int | None:
    first = body.decode("utf-8", "replace").split("\n", 1)[0].split()
    if len(first) >= 2 and first[0].upper().startswith("SIP/") and first[1].isdigit():
        return int(first[1])
    return None


class Call:
    """One call (an INVITE dialog). Create with :meth:`UserAgent.call` or take from the
    ``incoming_call`` event."""

    def __init__(self, ua: UserAgent, direction: str, media: MediaHandler):
        self.ua = ua
        self.direction = direction  # "outbound" or "inbound"
        self.media = media
        self.id = secrets.token_hex(6)
        self.state = CallState.CALLING if direction == "outbound" else CallState.INCOMING
        self.outcome: Outcome | None = None
        self.status = 0
        self.reason = ""
        self.remote_uri = ""
        self.dialog: Dialog | None = None
        self.invite: Message | None = None  # our (latest) INVITE, or the one we received
        self.invite_ctx: ClientTransaction | None = None
        self.invite_tx: ServerTransaction | None = None
        self.local_hold = False
        self.remote_hold = False
        self.dtmf_received: list[str] = []
        self.ended: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiters: list[tuple[frozenset[CallState], asyncio.Future[CallState]]] = []
        self._provisional = False
        self._cancel = False
        self._cancel_sent = False
        self._acks: dict[int, Message] = {}  # CSeq -> our ACK, re-sent for 2xx retransmissions
        self._retx: asyncio.TimerHandle | None = None  # our 2xx until its ACK
        self._retx_cseq = 0
        self._late_offer = False
        self._reinvite_pending = False
        self._refer_result: asyncio.Future[int] | None = None
        self._replaces: Call | None = None
        bind = getattr(media, "bind_call", None)
        if bind is not None:
            bind(self)
        ua.calls.append(self)

    def __repr__(self) -> str:
        return f"<Call {self.direction} {self.remote_uri} {self.state.value}>"

    # ---- state ----

    def _set_state(self, state: CallState) -> None:
        if state is self.state or self.state is CallState.TERMINATED:
            return
        previous, self.state = self.state, state
        for states, fut in list(self._waiters):
            if (state in states or state is CallState.TERMINATED) and not fut.done():
                fut.set_result(state)
        self._waiters = [(s, f) for s, f in self._waiters if not f.done()]
        if state is CallState.ESTABLISHED and not self.answered.done():
            self.answered.set_result(True)
        self.ua.events.emit("call_state", call=self, state=state, previous=previous)

    async def wait_for(self, *states: CallState, timeout: float | None = None) -> CallState:
        """Wait until the call is in one of ``states`` (or terminated); returns the state."""
        if self.state in states or self.state is CallState.TERMINATED:
            return self.state
        fut: asyncio.Future[CallState] = asyncio.get_running_loop().create_future()
        self._waiters.append((frozenset(states), fut))
        return await asyncio.wait_for(fut, timeout)

    def _terminate(self, outcome: Outcome, status: int = 0, reason: str = "") -> None:
        if self.state is CallState.TERMINATED:
            return
        self.outcome, self.status, self.reason = outcome, status, reason
        if self._retx is not None:
            self._retx.cancel()
        with contextlib.suppress(Exception):
            self.media.close()
        if self.dialog is not None:
            self.ua.forget_dialog(self.dialog.id)
        with contextlib.suppress(ValueError):
            self.ua.calls.remove(self)
        if not self.answered.done():
            self.answered.set_result(False)
        self._set_state(CallState.TERMINATED)
        if not self.ended.done():
            self.ended.set_result(outcome)

    # ---- outbound ----

    @classmethod
    def outgoing(
        cls,
        ua: UserAgent,
        target: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        media: MediaHandler | None = None,
    ) -> Call:
        call = cls(ua, "outbound", media or ua.make_media())
        call.remote_uri = target
        ua.spawn(call._run_invite(target, list(headers)))
        return call

    async def _run_invite(self, target: str, headers: list[tuple[str, str]]) -> None:
        ua = self.ua
        call_id, from_tag = secrets.token_hex(12), new_tag()
        cseq = 0
        try:
            body = str(self.media.create_offer()).encode()
        except SiperbError as exc:
            self._terminate(Outcome.NOT_ACCEPTABLE, 0, str(exc))
            return

        def build() -> Message:
            nonlocal cseq
            cseq += 1
            return ua.new_request(
                "INVITE", target,
                [("Contact", ua.contact()), ("Allow", ua.ALLOW), ("Supported", "replaces"),
                 *headers, ("Content-Type", "application/sdp")],
                body, call_id=call_id, from_tag=from_tag, cseq=cseq,
            )  # fmt: skip

        try:
            final = await ua.send_authenticated(build, self._on_provisional, self._on_invite_tx)
        except TransactionTimeout as exc:
            self._terminate(Outcome.TIMEOUT, 408, str(exc))
            return
        except TransportError as exc:
            self._terminate(Outcome.TRANSPORT_ERROR, 503, str(exc))
            return
        status = final.status or 0
        if 200 <= status < 300:
            self._on_answer(final)
        else:
            self._terminate(outcome_for(status), status, final.reason or "")

    def _on_invite_tx(self, tx: ClientTransaction) -> None:
        self.invite_ctx = tx
        self.invite = tx.request
        if tx.request.to is None or not tx.request.to.tag:  # initial INVITE: it may fork
            self.ua.note_invite(tx)

    def _on_provisional(self, response: Message) -> None:
        status = response.status or 0
        self._provisional = True
        if self._cancel:
            self._send_cancel()
        if status == 100 or self.state is CallState.TERMINATED:
            return
        to_tag = response.to.tag if response.to is not None else None
        if to_tag and self.dialog is None and self.invite is not None:
            self.dialog = Dialog.as_uac(self.invite, response)
        if response.body and (response.content_type or "").startswith("application/sdp"):
            with contextlib.suppress(SiperbError):
                self.media.apply_answer(SessionDescription.parse(response.body))
            self._set_state(CallState.EARLY_MEDIA)
        elif self.state is CallState.CALLING:
            self._set_state(CallState.RINGING)

    def _on_answer(self, response: Message) -> None:
        assert self.invite is not None
        to_tag = response.to.tag if response.to is not None else None
        if self.dialog is None or self.dialog.remote_tag != to_tag:
            self.dialog = Dialog.as_uac(self.invite, response)
        else:
            self.dialog.confirm(response)
        self.dialog.local_seq = _cseq(self.invite).number
        self.ua.register_dialog(self.dialog.id, self)
        self._send_ack(_cseq(response).number)
        try:
            self.media.apply_answer(SessionDescription.parse(response.body))
        except SiperbError as exc:
            log.info("unusable answer in 200: %s", exc)
            self.ua.spawn(self._bye(Outcome.NOT_ACCEPTABLE, 488, str(exc)))
            return
        if self._cancel:  # the 200 crossed our CANCEL: the call is over anyway
            self.ua.spawn(self._bye(Outcome.CANCELLED, 487, "cancelled"))
            return
        self._set_state(CallState.ESTABLISHED)

    def _send_ack(self, cseq: int, body: bytes = b"") -> None:
        assert self.dialog is not None
        headers = [("Content-Type", "application/sdp")] if body else []
        ack = self.dialog.request("ACK", self.ua.via(), headers=headers, body=body, cseq=cseq)
        self._acks[cseq] = ack
        with contextlib.suppress(TransportError):
            self.ua._require_flow().send_nowait(ack)

    def on_stray_response(self, response: Message) -> None:
        """A retransmitted 2xx: the ACK was lost, send it again (13.2.2.4)."""
        ack = self._acks.get(_cseq(response).number)
        if ack is not None:
            with contextlib.suppress(TransportError):
                self.ua._require_flow().send_nowait(ack)

    def _send_cancel(self) -> None:
        if self.invite is None or self._cancel_sent:
            return
        self._cancel_sent = True
        self.ua.spawn(self.ua.send_request(cancel_for(self.invite)).final)

    # ---- inbound ----

    @classmethod
    def incoming(cls, ua: UserAgent, request: Message, tx: ServerTransaction) -> Call | None:
        replaced: Call | None = None
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
                call._reject_now(488, "Not Acceptable Here", Outcome.NOT_ACCEPTABLE, str(exc))
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

    _answer_body: str = ""

    async def _take_over(self, replaced: Call) -> None:
        """RFC 3891: answer the replacing INVITE and end the replaced call."""
        await self.answer()
        self.ua.events.emit("call_replaced", call=self, replaced=replaced)
        await replaced._bye(Outcome.REPLACED, 0, "replaced")

    def _reject_now(self, status: int, phrase: str, outcome: Outcome, reason: str = "",
                    headers: Sequence[tuple[str, str]] = ()) -> None:  # fmt: skip
        assert self.invite_tx is not None and self.dialog is not None
        self.invite_tx.respond(status, phrase, list(headers), to_tag=self.dialog.local_tag)
        self._terminate(outcome, status, reason or phrase)

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
        response = self.invite_tx.response(
            200, "OK",
            [("Contact", self.ua.contact()), ("Allow", self.ua.ALLOW),
             ("Supported", "replaces"), ("Content-Type", "application/sdp")],
            body.encode(), to_tag=self.dialog.local_tag,
        )  # fmt: skip
        self.invite_tx.send(response)
        self._retransmit_2xx(response, self.invite_tx)
        started = getattr(self.media, "answered", None)
        if started is not None:
            started()
        self._set_state(CallState.ESTABLISHED)

    def _retransmit_2xx(self, response: Message, tx: ServerTransaction) -> None:
        """13.3.1.4: re-send the 2xx at T1, 2T1, ... T2 until the ACK; BYE after 64*T1."""
        timers = self.ua.config.timers
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timers.b
        self._retx_cseq = _cseq(response).number
        interval = timers.t1

        def again() -> None:
            nonlocal interval
            if loop.time() >= deadline:
                self._retx = None
                self.ua.spawn(self._bye(Outcome.NO_ACK, 408, "no ACK for our 200"))
                return
            with contextlib.suppress(TransportError):
                tx.flow.send_nowait(response)
            interval = min(interval * 2, timers.t2)
            self._retx = loop.call_later(min(interval, max(0.0, deadline - loop.time())), again)

        if self._retx is not None:
            self._retx.cancel()
        self._retx = loop.call_later(interval, again)

    def on_ack(self, ack: Message) -> None:
        if _cseq(ack).number != self._retx_cseq:
            return
        if self._retx is not None:
            self._retx.cancel()
            self._retx = None
        if self._late_offer and ack.body:
            self._late_offer = False
            with contextlib.suppress(SiperbError):
                self.media.apply_answer(SessionDescription.parse(ack.body))

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

    # ---- ending ----

    async def hangup(self) -> None:
        """End the call however far it got: CANCEL, reject, or BYE. Waits until it ended."""
        if self.state is CallState.TERMINATED:
            return
        if self.direction == "inbound" and self.state is CallState.INCOMING:
            await self.reject(603, "Decline", "hung up")
        elif self.state in (CallState.CALLING, CallState.RINGING, CallState.EARLY_MEDIA):
            self._cancel = True
            if self._provisional:
                self._send_cancel()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.ended), self.ua.config.timers.b)
        else:
            await self._bye(Outcome.COMPLETED, 0, "local hangup")

    async def _bye(self, outcome: Outcome, status: int, reason: str) -> None:
        if self.state is CallState.TERMINATED or self.dialog is None:
            return
        if self._retx is not None:
            self._retx.cancel()
        dialog = self.dialog
        self._terminate(outcome, status, reason)  # no requests of the dialog after this point
        try:
            await self.ua.send_authenticated(
                lambda: dialog.request(
                    "BYE", self.ua.via(), headers=[("User-Agent", self.ua.config.user_agent)]
                )
            )
        except SiperbError as exc:
            log.info("BYE failed: %s", exc)

    # ---- in-dialog requests we send ----

    async def _request(self, method: str, headers: Sequence[tuple[str, str]] = (),
                       body: bytes = b"", content_type: str | None = None) -> Message:  # fmt: skip
        if self.dialog is None or self.state is CallState.TERMINATED:
            raise TransportError(f"no dialog to send {method} in", field="dialog")
        dialog = self.dialog
        extra = list(headers)
        if content_type:
            extra.append(("Content-Type", content_type))
        return await self.ua.send_authenticated(
            lambda: dialog.request(method, self.ua.via(), self.ua.contact(), extra, body)
        )

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
        return response

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

    async def transfer(self, target: str | Call, timeout: float = 30.0) -> int:
        """Transfer the far end (REFER): blind to a URI, attended to another call (Replaces).

        Returns the final status the far end reported in its NOTIFY sipfrag (or the REFER's
        failure status); on success this call is ended with BYE (outcome ``transferred``).
        """
        if isinstance(target, Call):
            other = target.dialog
            if other is None:
                raise TransportError("the other call has no dialog", field="Replaces")
            ids = f"{other.call_id};to-tag={other.remote_tag};from-tag={other.local_tag}"
            replaces = quote(ids,
                             safe="")  # fmt: skip
            uri = target.remote_uri.split("?")[0]
            refer_to = f"<{uri}?Replaces={replaces}>"
        else:
            refer_to = f"<{self.ua.normalize_target(target)}>"
        self._refer_result = asyncio.get_running_loop().create_future()
        response = await self._request(
            "REFER", [("Refer-To", refer_to), ("Referred-By", f"<{self.ua.aor.raw}>")]
        )
        status = response.status or 0
        if not 200 <= status < 300:
            return status
        final = await asyncio.wait_for(self._refer_result, timeout)
        if 200 <= final < 300:
            if isinstance(target, Call):
                await target._bye(Outcome.TRANSFERRED, 0, "transferred")
            await self._bye(Outcome.TRANSFERRED, 0, "transferred")
        return final

    # ---- in-dialog requests we receive ----

    def on_request(self, request: Message, tx: ServerTransaction) -> None:
        method = request.method or ""
        assert self.dialog is not None
        if self.dialog.accept_request(request) is not None:
            tx.respond(500, "Server Internal Error", [("Retry-After", "1")])
            return
        if method == "BYE":
            tx.respond(200, "OK")
            self._terminate(Outcome.COMPLETED, 0, "remote hangup")
        elif method == "INVITE":
            self._on_reinvite(request, tx)
        elif method == "UPDATE":
            self._on_update(request, tx)
        elif method == "INFO":
            self._on_info(request, tx)
        elif method == "REFER":
            self._on_refer(request, tx)
        elif method == "NOTIFY":
            self._on_notify(request, tx)
        elif method == "MESSAGE":
            tx.respond(200, "OK")
            self.ua.events.emit("message", call=self, from_=request.header("From") or "",
                                to=request.header("To") or "", body=request.body,
                                content_type=request.content_type or "text/plain",
                                text=request.body.decode("utf-8", "replace"))  # fmt: skip
        elif method == "OPTIONS":
            tx.respond(200, "OK", [("Allow", self.ua.ALLOW), ("Accept", self.ua.ACCEPT)])
        else:
            tx.respond(501, "Not Implemented", [("Allow", self.ua.ALLOW)])

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
        self.remote_hold = direction in (Direction.SENDONLY, Direction.INACTIVE) or (
            connection is not None and connection.address in ("0.0.0.0", "::")
        )
        if was != self.remote_hold:
            self.ua.events.emit("hold", call=self, remote_hold=self.remote_hold,
                                direction=str(direction))  # fmt: skip
        return str(answer)

    def _on_reinvite(self, request: Message, tx: ServerTransaction) -> None:
        if self._reinvite_pending:
            tx.respond(491, "Request Pending")
            return
        try:
            body = self._answer_offer(request)
        except (SdpNegotiationError, SdpParseError) as exc:
            tx.respond(488, "Not Acceptable Here", [("Warning", f'399 siperb "{exc.reason}"')])
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
            tx.respond(488, "Not Acceptable Here", [("Warning", f'399 siperb "{exc.reason}"')])
            return
        self._late_offer = False
        if body is None:
            tx.respond(200, "OK", [("Contact", self.ua.contact())])
        else:
            tx.respond(200, "OK", [("Contact", self.ua.contact()),
                                   ("Content-Type", "application/sdp")], body.encode())  # fmt: skip

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

    def _on_refer(self, request: Message, tx: ServerTransaction) -> None:
        refer_to = request.refer_to
        if refer_to is None:
            tx.respond(400, "Missing Refer-To")
            return
        tx.respond(202, "Accepted", [("Contact", self.ua.contact())])
        self.ua.events.emit("transfer_requested", call=self, target=refer_to.uri.raw)
        self.ua.spawn(self._follow_refer(refer_to.uri.raw, request.header("Referred-By")))

    async def _notify_refer(self, status: int, phrase: str, final: bool) -> None:
        state = "terminated;reason=noresource" if final else "active;expires=60"
        with contextlib.suppress(SiperbError):
            await self._request(
                "NOTIFY", [("Event", "refer"), ("Subscription-State", state)],
                f"SIP/2.0 {status} {phrase}\r\n".encode(), "message/sipfrag;version=2.0",
            )  # fmt: skip

    async def _follow_refer(self, target: str, referred_by: str | None) -> None:
        """Transferee: call the Refer-To target and report progress with NOTIFYs (RFC 3515)."""
        await self._notify_refer(100, "Trying", final=False)
        uri, _, query = target.partition("?")
        headers: list[tuple[str, str]] = []
        for item in query.split("&") if query else []:
            name, _, value = item.partition("=")
            if name.lower() == "replaces":
                headers.append(("Replaces", unquote(value)))
        if referred_by:
            headers.append(("Referred-By", referred_by))
        new = Call.outgoing(self.ua, uri, headers=headers)
        self.ua.events.emit("transfer", call=self, new_call=new, target=uri, role="transferee")
        await new.wait_for(CallState.ESTABLISHED, timeout=None)
        if new.state is CallState.ESTABLISHED:
            await self._notify_refer(200, "OK", final=True)
            await self._bye(Outcome.TRANSFERRED, 0, "transferred")
        else:
            await self._notify_refer(new.status or 503, new.reason or "Failed", final=True)

    def _on_notify(self, request: Message, tx: ServerTransaction) -> None:
        event = request.event
        if event is None or event.package != "refer":
            tx.respond(489, "Bad Event")
            return
        tx.respond(200, "OK")
        status = parse_sipfrag_status(request.body)
        if status is None:
            return
        self.ua.events.emit("transfer", call=self, status=status, role="transferor")
        if status >= 200 and self._refer_result is not None and not self._refer_result.done():
            self._refer_result.set_result(status)
