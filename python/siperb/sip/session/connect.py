"""Outgoing INVITE (RFC 3261 13.2): provisional responses, the 2xx and its ACK, CANCEL.

1xx with a To tag makes an early dialog (183 with SDP is early media); the 2xx is ACKed and the
ACK re-sent for every retransmitted 2xx (13.2.2.4); a CANCEL waits for the first provisional
(9.1), and a 200 that crosses it is ACKed and ended with BYE. 2xx from other forks are the
router's business (it ACKs and ends them), so only the kept dialog reaches this mixin.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Sequence
from typing import TypeVar

from ...errors import SiperbError, TransportError
from ...sdp import SessionDescription
from .. import Message
from ..dialog import Dialog, new_tag
from ..transaction import ClientTransaction, TransactionTimeout, cancel_for
from ..transaction import cseq_of as _cseq
from .base import SessionBase, SessionStack, log
from .offer_answer import MediaHandler
from .state import CallState, Outcome, outcome_for

_C = TypeVar("_C", bound="ConnectMixin")


class ConnectMixin(SessionBase):
    """The UAC side of the initial INVITE."""

    @classmethod
    def outgoing(
        cls: type[_C],
        ua: SessionStack,
        target: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        media: MediaHandler | None = None,
    ) -> _C:
        call = cls(ua, "outbound", media or ua.make_media())
        call.remote_uri = target
        ua.spawn(call._run_invite(target, list(headers)))
        return call

    async def _run_invite(self, target: str, headers: list[tuple[str, str]]) -> None:
        ua = self.ua
        call_id, from_tag = secrets.token_hex(12), new_tag()
        cseq = 0
        gather = getattr(self.media, "gather", None)
        if gather is not None:  # WebRTC: candidates off the loop (capped by the engine)
            with contextlib.suppress(SiperbError):
                await gather()
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
            if self._cancel:  # abandoned after our CANCEL (9.1): it was cancelled, not lost
                self._terminate(Outcome.CANCELLED, 487, "cancelled (no final response)")
            else:
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
        except SiperbError as exc:  # ACK, then BYE (RFC 3261 13.2.2.4): the call ends, saying why
            self._refuse_answer(str(exc))
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
            self.ua.send_nowait(ack)

    def on_stray_response(self, response: Message) -> None:
        """A retransmitted 2xx: the ACK was lost, send it again (13.2.2.4)."""
        ack = self._acks.get(_cseq(response).number)
        if ack is not None:
            with contextlib.suppress(TransportError):
                self.ua.send_nowait(ack)

    def _send_cancel(self) -> None:
        if self.invite is None or self._cancel_sent:
            return
        self._cancel_sent = True
        self.ua.spawn(self._cancelling(cancel_for(self.invite)))

    async def _cancelling(self, cancel: Message) -> None:
        """Send the CANCEL; with no final response to the INVITE 64*T1 after it, consider the
        INVITE cancelled (RFC 3261 9.1), so a far end that ignores CANCEL cannot keep the call
        ringing. A CANCEL nobody answers is logged, not a failure of ours."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 64 * self.ua.config.timers.t1
        try:
            await self.ua.send_request(cancel).final
        except TransportError as exc:
            log.info("CANCEL got no final response: %s", exc)
        remaining = deadline - loop.time()
        if remaining > 0 and not self.ended.done():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.ended), remaining)
        if self.state is not CallState.TERMINATED and self.invite_ctx is not None:
            self.invite_ctx.cancel_timeout()
