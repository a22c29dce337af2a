"""SIP transactions (RFC 3261 section 17, with RFC 6026's Accepted state).

A client transaction sends one request, retransmits it over UDP (timers A and E), absorbs
retransmitted responses, sends the ACK for a non-2xx final response to INVITE, and times out
(timers B and F). A server transaction absorbs retransmitted requests by re-sending its last
response, retransmits final responses to INVITE over UDP (timer G) until the ACK (timer H), and
waits out copies (timers D, I, J, K, L, M) as an entry of the layer's ``lingering`` store.
Timer values scale from T1, so tests can run them fast. Timers are loop handles, not tasks.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import secrets
from collections.abc import Callable
from typing import Any

from .._memory import release_soon
from ..errors import TransportError
from . import Message
from .lingering import Linger, Lingering, LingeringFinal, LingerStore
from .response import DIALOG_CREATING, ack_for, cancel_for, cseq_of, response_to
from .timers import Timers

__all__ = [
    "DIALOG_CREATING", "ClientTransaction", "ServerTransaction", "State", "Timers",
    "TransactionLayer", "TransactionTimeout", "ack_for", "cancel_for", "cseq_of", "new_branch",
    "response_to",
]  # fmt: skip
from .transport import Flow

log = logging.getLogger("siperb.sip.transaction")

MAGIC_COOKIE = "z9hG4bK"


def new_branch() -> str:
    return MAGIC_COOKIE + secrets.token_hex(8)


class State(enum.Enum):
    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    ACCEPTED = "Accepted"
    TERMINATED = "Terminated"


class TransactionTimeout(TransportError):
    """Timer B or F fired: no final response arrived (the TU treats it as a 408)."""


class _Transaction(Lingering):
    """What both kinds share: their timers and their place in the layer's table."""

    key: tuple[str, ...]
    _table: dict[Any, Any]
    _timer: asyncio.Handle | None
    _deadline: asyncio.TimerHandle | None

    def _cancel_timers(self) -> None:
        for handle in (self._timer, self._deadline):
            if handle is not None:
                handle.cancel()
        self._timer = self._deadline = None

    def _leave(self) -> bool:
        """Out of the layer's table, timers cancelled; True if it was in the table."""
        self._cancel_timers()
        if self._table.get(self.key) is not self:
            return False
        del self._table[self.key]
        return True


class ClientTransaction(_Transaction, LingeringFinal):
    """Sends one request and yields its responses; ``final`` resolves with the final response."""

    def __init__(
        self,
        layer: TransactionLayer,
        request: Message,
        flow: Flow,
        on_provisional: Callable[[Message], None] | None = None,
    ):
        self.layer = layer
        self.request = request
        self.flow = flow
        self.method = request.method or ""
        vias = request.via
        self.branch = (vias[0].branch or "") if vias else ""
        self.key = (self.branch, self.method)
        self._table = layer._client
        self.is_invite = self.method == "INVITE"
        self.state = State.CALLING if self.is_invite else State.TRYING
        self.on_provisional = on_provisional
        self._final = layer.loop.create_future()  # ``final`` (.lingering.LingeringFinal)
        self.last_provisional: Message | None = None
        self._ack: bytes | None = None  # for a non-2xx final, sent again for each of its copies
        self._retransmit_at = layer.timers.t1
        self._timer = None  # A/E
        self._deadline = None  # B/F

    def start(self) -> None:
        """Send the request and arm the timers; transport errors resolve ``final`` with them."""
        self.layer._client[self.key] = self
        loop = self.layer.loop
        if not self.flow.kind.reliable:
            self._timer = loop.call_later(self._retransmit_at, self._retransmit)
        self._deadline = loop.call_later(self.layer.timers.b, self._timeout)
        self._send(self.request, fatal=True)

    def _send(self, message: Message | bytes, fatal: bool = False) -> None:
        try:
            self.flow.send_nowait(message)
        except TransportError as exc:
            if fatal and (f := self._unresolved()) is not None:
                # 17.1.4: a transport error is reported to the TU (as a 503 would be).
                f.set_exception(exc)
                self._terminate()
            else:
                log.debug("retransmission failed: %s", exc)

    def _retransmit(self) -> None:
        if self.state not in (State.CALLING, State.TRYING, State.PROCEEDING):
            return
        if self.is_invite and self.state is State.PROCEEDING:
            return  # INVITE stops retransmitting once a provisional response arrives
        self._send(self.request)
        t = self.layer.timers
        if self.is_invite:
            self._retransmit_at *= 2
        elif self.state is State.PROCEEDING:
            self._retransmit_at = t.t2
        else:
            self._retransmit_at = min(self._retransmit_at * 2, t.t2)
        self._timer = self.layer.loop.call_later(self._retransmit_at, self._retransmit)

    def _timeout(self) -> None:
        self._deadline = None
        if self.is_invite and self.state is not State.CALLING:
            return  # timer B only applies before any provisional response (17.1.1.2)
        if (f := self._unresolved()) is not None:
            f.set_exception(
                TransactionTimeout(
                    f"no final response to {self.method} after {self.layer.timers.b:g}s",
                    field="timer B" if self.is_invite else "timer F",
                )
            )
        self._terminate()

    def cancel_timeout(self) -> None:
        """Stop waiting: the TU gave up (e.g. a CANCEL answered without a 487)."""
        if (f := self._unresolved()) is not None:
            f.set_exception(TransactionTimeout("transaction abandoned", field="timer C"))
        self._terminate()

    def receive(self, response: Message) -> None:
        status = response.status or 0
        if status < 200:
            if self.state in (State.CALLING, State.TRYING, State.PROCEEDING):
                self.state = State.PROCEEDING
                self.last_provisional = response
                if self.on_provisional is not None:
                    self.on_provisional(response)
            return
        if self.is_invite:
            if status < 300:
                if self.state is not State.ACCEPTED:
                    # RFC 6026: Accepted absorbs nothing; 2xx retransmissions reach the TU.
                    self.state = State.ACCEPTED
                    self._cancel_timers()
                    if (f := self._unresolved()) is not None:
                        f.set_result(response)
                    self._linger(Linger.ACCEPTED, self.layer.timers.b)  # timer M
                elif self.layer.on_stray is not None:
                    self.layer.on_stray(response, self.flow)
                return
            # Non-2xx: ACK it (again, for every retransmission) and wait out timer D.
            if self._ack is None:
                self._ack = bytes(ack_for(self.request, response))
            self._send(self._ack)
            if self.state is not State.COMPLETED:
                self.state = State.COMPLETED
                if (f := self._unresolved()) is not None:
                    f.set_result(response)
                d = 0.0 if self.flow.kind.reliable else max(32.0, self.layer.timers.b)
                self._linger(Linger.ACK_AGAIN, d)  # timer D
            return
        if self.state is not State.COMPLETED:
            self.state = State.COMPLETED
            if (f := self._unresolved()) is not None:
                f.set_result(response)
            self._linger(Linger.ABSORB, 0.0 if self.flow.kind.reliable else self.layer.timers.t4)

    def _linger(self, kind: Linger, seconds: float) -> None:
        # Final response: no provisional follows, so drop the TU's callback (the call's bound
        # method). Copies of the response meet the layer's lingering entry (K, D or M) now.
        self.on_provisional = self.last_provisional = None
        self._shed()
        self._shed_final_soon()
        if seconds <= 0:
            self._terminate()
            return
        self._leave()
        self.layer.lingering.keep("c", self.key, kind, self.flow, self._ack or b"", seconds)

    def _terminate(self) -> None:
        self.state = State.TERMINATED
        self.on_provisional = None
        if self._leave():
            release_soon()  # a burst of ended transactions (timeouts, closes) ends together


class ServerTransaction(_Transaction):
    """Holds the last response to one received request and re-sends it on retransmissions."""

    def __init__(self, layer: TransactionLayer, request: Message, flow: Flow, key: tuple[str, ...]):
        self.layer = layer
        self.request = request
        self.flow = flow
        self.key = key
        self._table = layer._server
        self.method = request.method or ""
        self.is_invite = self.method == "INVITE"
        self.state = State.PROCEEDING if self.is_invite else State.TRYING
        self.last_response = None
        self.acked: asyncio.Future[Message | None] = layer.loop.create_future()
        self.cancelled = False
        self._interval = layer.timers.t1
        self._timer = None  # 100 Trying, then G
        self._deadline = None  # H
        if self.is_invite:
            # 17.2.1: a 100 Trying after 200 ms if the TU has not answered by then.
            self._timer = layer.loop.call_later(0.2, self._auto_trying)

    def _auto_trying(self) -> None:
        self._timer = None
        if self.last_response is None:
            self.respond(100, "Trying")

    def response(
        self,
        status: int,
        reason: str,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        to_tag: str | None = None,
    ) -> Message:
        """A response to this request (8.2.6): Via, From, To, Call-ID, CSeq copied."""
        return response_to(self.request, status, reason, headers, body, to_tag)

    def respond(
        self,
        status: int,
        reason: str,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        to_tag: str | None = None,
    ) -> Message:
        return self.send(self.response(status, reason, headers, body, to_tag))

    def send(self, response: Message) -> Message:
        """Send a response; a final one moves the state machine on. Finals after a final: no-op."""
        status = response.status or 0
        if self.state not in (State.TRYING, State.PROCEEDING):
            return response  # final already sent: the TU must not send another
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.last_response = response
        loop = self.layer.loop
        t = self.layer.timers
        if status < 200:
            self.state = State.PROCEEDING
        elif self.is_invite and status < 300:
            self.state = State.ACCEPTED
        else:
            self.state = State.COMPLETED
            if self.is_invite:
                if not self.flow.kind.reliable:
                    self._timer = loop.call_later(self._interval, self._retransmit_final)  # G
                self._deadline = loop.call_later(t.b, self._no_ack)  # timer H
        try:
            self.flow.send_nowait(response)
        except TransportError as exc:
            # 17.2.4: a transport error here is reported to the TU; the transaction ends.
            log.info("response to %s could not be sent: %s", self.method, exc)
            self._terminate()
            return response
        if status >= 200:
            self._shed()
            if self.state is State.ACCEPTED:
                self._linger(Linger.ACCEPTED, t.b)  # timer L (RFC 6026)
            elif not self.is_invite:
                self._linger(Linger.RESEND, 0.0 if self.flow.kind.reliable else t.b)  # timer J
        return response

    def _linger(self, kind: Linger, seconds: float) -> None:
        """Copies of the request now meet the layer's LingerStore entry (timer J, I or L)."""
        if seconds <= 0:
            self._terminate()
            return
        raw = b"" if kind is Linger.ACCEPTED else (self._last_response_bytes() or b"")
        self._leave()
        self.layer.lingering.keep("s", self.key, kind, self.flow, raw, seconds)

    def _retransmit_final(self) -> None:
        raw = self._last_response_bytes()
        if self.state is not State.COMPLETED or raw is None:
            return
        try:
            self.flow.send_nowait(raw)
        except TransportError:
            return
        self._interval = min(self._interval * 2, self.layer.timers.t2)
        self._timer = self.layer.loop.call_later(self._interval, self._retransmit_final)

    def _no_ack(self) -> None:
        self._deadline = None
        if self.state is State.COMPLETED:
            if not self.acked.done():
                self.acked.set_result(None)
            self._terminate()

    def receive_retransmission(self, request: Message) -> None:
        if request.method == "ACK":
            if self.state is State.COMPLETED:
                self.state = State.CONFIRMED
                if not self.acked.done():
                    self.acked.set_result(request)
                t4 = 0.0 if self.flow.kind.reliable else self.layer.timers.t4
                self._linger(Linger.RESEND, t4)  # timer I
            return
        raw = self._last_response_bytes()
        if raw is not None and self.state is not State.ACCEPTED:
            try:
                self.flow.send_nowait(raw)
            except TransportError as exc:
                log.debug("re-sending a response failed: %s", exc)

    def _terminate(self) -> None:
        self.state = State.TERMINATED
        if self._leave():
            release_soon()


RequestHandler = Callable[[Message, ServerTransaction], None]
StrayHandler = Callable[[Message, Flow], None]
AdmitHandler = Callable[[Message, Flow], bool]


def _valid(message: Message) -> bool:
    """The fields transaction matching needs (8.1.1): Via, Call-ID, CSeq, From, To."""
    return (
        bool(message.via)
        and bool(message.call_id)
        and message.cseq is not None
        and (message.from_ is not None and message.to is not None)
    )


class TransactionLayer:
    """Matches messages to transactions and hands new requests and stray 2xx/ACKs to the TU."""

    def __init__(
        self,
        on_request: RequestHandler,
        on_stray: StrayHandler | None = None,
        timers: Timers | None = None,
        *,
        max_server: int | None = None,
        max_client: int | None = None,
        max_lingering: int | None = None,
        retry_after: int = 10,
        admit: AdmitHandler | None = None,
    ):
        self.loop = asyncio.get_running_loop()
        self.on_request = on_request
        self.on_stray = on_stray
        self.timers = timers or Timers()
        #: Table bounds: a new request past ``max_server`` live server transactions gets a
        #: stateless 503 with Retry-After; a request we send past ``max_client`` raises
        #: TransportError; past ``max_lingering`` finished ones, those closest to their end stop
        #: lingering. None: unbounded.
        self.max_server = max_server
        self.max_client = max_client
        self.retry_after = retry_after
        #: Asked before a new request gets a server transaction; False: it was answered
        #: (or dropped) already, e.g. by a rate limit.
        self.admit = admit
        self.counters = {"server_refused": 0, "client_refused": 0, "not_admitted": 0}
        self._client: dict[tuple[str, ...], ClientTransaction] = {}
        self._server: dict[tuple[str, ...], ServerTransaction] = {}
        self.lingering = LingerStore(self.loop, max_lingering or 0, min(0.25, self.timers.t1 / 2))

    async def request(
        self,
        request: Message,
        flow: Flow,
        on_provisional: Callable[[Message], None] | None = None,
    ) -> Message:
        """Send ``request`` in a new client transaction and return its final response."""
        tx = self.start_client(request, flow, on_provisional)
        return await tx.final

    def start_client(
        self,
        request: Message,
        flow: Flow,
        on_provisional: Callable[[Message], None] | None = None,
    ) -> ClientTransaction:
        if self.max_client is not None and len(self._client) >= self.max_client:
            self.counters["client_refused"] += 1
            raise TransportError(
                f"{len(self._client)} requests pending: the transaction table is full",
                field="transactions",
            )
        tx = ClientTransaction(self, request, flow, on_provisional)
        tx.start()
        return tx

    @staticmethod
    def server_key(request: Message) -> tuple[str, ...]:
        via = request.via[0]
        method = "INVITE" if request.method == "ACK" else (request.method or "")
        branch = via.branch or ""
        if branch.startswith(MAGIC_COOKIE):
            return (branch, via.host.lower(), str(via.port or ""), method)
        # RFC 2543 peers: match on the request's identifying fields (17.2.3).
        return (
            str(request.uri),
            request.from_.tag if request.from_ is not None and request.from_.tag else "",
            request.call_id or "",
            str(cseq_of(request).number),
            via.host.lower(),
            method,
        )

    def invite_server(self, cancel: Message) -> ServerTransaction | None:
        """The INVITE server transaction a CANCEL (same branch) refers to (9.2)."""
        key = self.server_key(cancel)
        return self._server.get((*key[:-1], "INVITE"))

    def invite_answered(self, cancel: Message) -> bool:
        """The INVITE a CANCEL refers to was answered and lingers (9.2: 200, no effect)."""
        key = self.server_key(cancel)
        return self.lingering.find("s", (*key[:-1], "INVITE")) is not None

    def receive(self, message: Message, flow: Flow) -> None:
        """Entry point for every message a transport delivers."""
        if not _valid(message):
            log.debug("dropped a message without the mandatory headers from %s", flow.remote)
            return
        if not message.is_request:
            key = (message.via[0].branch or "", cseq_of(message).method)
            tx = self._client.get(key)
            if tx is not None:
                tx.receive(message)
            elif not self.lingering.response_copy(key, message) and self.on_stray is not None:
                self.on_stray(message, flow)  # a 2xx copy (RFC 6026), or no transaction
            return
        skey = self.server_key(message)
        server = self._server.get(skey)
        if server is not None:
            server.receive_retransmission(message)
            return
        if self.lingering.request_copy(skey, message):
            return
        if message.method == "ACK":
            if self.on_stray is not None:
                self.on_stray(message, flow)  # the ACK for a 2xx belongs to the dialog
            return
        if self.admit is not None and not self.admit(message, flow):
            self.counters["not_admitted"] += 1
            return
        if self.max_server is not None and len(self._server) >= self.max_server:
            self.counters["server_refused"] += 1
            log.debug("server transaction table full: 503 to %s", flow.remote)
            self.refuse(message, flow, 503, "Service Unavailable")
            return
        server = ServerTransaction(self, message, flow, skey)
        self._server[skey] = server
        self.on_request(message, server)

    def refuse(self, request: Message, flow: Flow, status: int, reason: str,
               retry_after: int | None = None) -> None:  # fmt: skip
        """Answer ``request`` statelessly (no transaction: its retransmissions get the same
        answer again), with Retry-After."""
        seconds = self.retry_after if retry_after is None else retry_after
        response = response_to(request, status, reason, [("Retry-After", str(seconds))])
        try:
            flow.send_nowait(response)
        except TransportError as exc:
            log.debug("refusal could not be sent: %s", exc)

    @property
    def pending(self) -> int:
        """Transactions live or lingering (client + server), for tests and leak checks."""
        return len(self._client) + len(self._server) + len(self.lingering)

    def close(self) -> None:
        for tx in list(self._client.values()):
            if (f := tx._unresolved()) is not None:
                f.set_exception(TransportError("transaction layer closed", field="close"))
            tx._terminate()
        for stx in list(self._server.values()):
            stx._terminate()
        self.lingering.clear()
