"""What every INVITE-session behaviour shares: the call's fields, its state machine, and in-dialog
requests.

:class:`~siperb.sip.session.invite.InviteSession` is this base plus one mixin per behaviour
(connect, accept, modify, info, transfer, close). A behaviour that needs another one's step (modify
ACKs a re-INVITE's 2xx like connect does) finds it declared here, so each mixin type-checks alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ...errors import TransportError
from .. import Message
from ..dialog import Dialog
from ..stack import SipStack
from ..transaction import ClientTransaction, ServerTransaction
from .offer_answer import MediaHandler
from .state import CallState, Outcome

log = logging.getLogger("siperb.sip.session")

_S = TypeVar("_S", bound="SessionBase")


class SessionStack(SipStack, Protocol):
    """The stack as an INVITE session sees it: :class:`SipStack` plus media and live calls."""

    @property
    def calls(self) -> list[Any]:
        """Live calls, oldest first (a session adds and removes itself)."""

    def make_media(self) -> MediaHandler:
        """A new call's media (raises when the stack has no media factory)."""

    def note_invite(self, tx: ClientTransaction) -> None:
        """Remember an initial INVITE so 2xx from its other forks can be ACKed and ended."""


class SessionBase:
    """One INVITE dialog's fields and state; the behaviours live in the mixins."""

    def __init__(self, ua: SessionStack, direction: str, media: MediaHandler):
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
        self._acked = asyncio.Event()  # cleared while our 2xx awaits its ACK: _wait_for_ack
        self._acked.set()
        self._refused_before_ack = ""  # media refused the answer while our 2xx awaits its ACK
        self._ring_timer: asyncio.TimerHandle | None = None  # an inbound call's ring timeout
        self._media_timer: asyncio.TimerHandle | None = None  # see CloseMixin.media_inactive
        self._media_silent = False
        self._media_since = 0.0  # when RTP was last expected to start (answer, resume)
        self._retx_cseq = 0
        self._late_offer = False
        self._reinvite_pending = False
        self._refer_result: asyncio.Future[int] | None = None
        self._replaces: SessionBase | None = None
        bind = getattr(media, "bind_call", None)
        if bind is not None:
            bind(self)
        ua.calls.append(self)

    _answer_body: str = ""

    def __repr__(self) -> str:
        return f"<InviteSession {self.direction} {self.remote_uri} {self.state.value}>"

    if TYPE_CHECKING:  # provided by the behaviour mixins that make up InviteSession

        @classmethod
        def outgoing(
            cls: type[_S],
            ua: SessionStack,
            target: str,
            *,
            headers: Sequence[tuple[str, str]] = (),
            media: MediaHandler | None = None,
        ) -> _S: ...

        def on_request(self, request: Message, tx: ServerTransaction) -> None: ...
        def on_ack(self, ack: Message) -> None: ...
        def on_stray_response(self, response: Message) -> None: ...
        def _send_ack(self, cseq: int, body: bytes = b"") -> None: ...
        def _send_cancel(self) -> None: ...
        def _retransmit_2xx(self, response: Message, tx: ServerTransaction) -> None: ...
        async def answer(self) -> None: ...
        async def reject(self, status: int = 486, phrase: str | None = None,
                         reason: str | None = None) -> None: ...  # fmt: skip
        async def _bye(self, outcome: Outcome, status: int, reason: str) -> None: ...
        def _refuse_answer(self, reason: str) -> None: ...
        def media_expected(self) -> None: ...

    # ---- state ----

    def _set_state(self, state: CallState) -> None:
        if state is self.state or self.state is CallState.TERMINATED:
            return
        previous, self.state = self.state, state
        for states, fut in list(self._waiters):
            if (state in states or state is CallState.TERMINATED) and not fut.done():
                fut.set_result(state)
        self._waiters = [(s, f) for s, f in self._waiters if not f.done()]
        if state is CallState.ESTABLISHED:
            self._media_since = asyncio.get_running_loop().time()
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
        for timer in (self._retx, self._ring_timer, self._media_timer):
            if timer is not None:
                timer.cancel()  # a pending timer would keep the ended call alive
        self._retx = self._ring_timer = self._media_timer = None
        self._acked.set()  # what waited for the ACK finds the call ended
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

    # ---- in-dialog requests we send ----

    async def _wait_for_ack(self) -> None:
        """Return once our 2xx has its ACK, or its retransmissions gave up, or the call ended.

        Until the ACK, the caller may not have our 2xx yet: a request of the dialog sent
        before it can overtake the 2xx and be refused 481 there (RFC 3261 14.2 and 15.1.1
        say so of re-INVITE and BYE; the same race holds for REFER and INFO)."""
        await self._acked.wait()

    async def _request(self, method: str, headers: Sequence[tuple[str, str]] = (),
                       body: bytes = b"", content_type: str | None = None) -> Message:  # fmt: skip
        await self._wait_for_ack()
        if self.dialog is None or self.state is CallState.TERMINATED:
            raise TransportError(f"no dialog to send {method} in", field="dialog")
        dialog = self.dialog
        extra = list(headers)
        if content_type:
            extra.append(("Content-Type", content_type))
        return await self.ua.send_authenticated(
            lambda: dialog.request(method, self.ua.via(), self.ua.contact(), extra, body)
        )
