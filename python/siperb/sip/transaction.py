"""SIP transactions (RFC 3261 section 17, with RFC 6026's Accepted state).

A client transaction sends one request, retransmits it over UDP (timers A and E), absorbs
retransmitted responses, sends the ACK for a non-2xx final response to INVITE, and times out
(timers B and F). A server transaction absorbs retransmitted requests by re-sending its last
response, retransmits final responses to INVITE over UDP (timer G) until the ACK (timer H), and
waits out stray retransmissions (timers D, I, J, K, L). Timer values scale from T1, so tests can
run them fast.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import TransportError
from . import Message, Request, Response
from .transport import Flow

log = logging.getLogger("siperb.sip.transaction")

MAGIC_COOKIE = "z9hG4bK"
DIALOG_CREATING = frozenset({"INVITE", "SUBSCRIBE", "REFER"})


@dataclass(frozen=True)
class Timers:
    """RFC 3261 timer values in seconds (section 17.1.1.1 and table 4)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    @property
    def b(self) -> float:  # = F = H = J = L
        return 64 * self.t1


def new_branch() -> str:
    return MAGIC_COOKIE + secrets.token_hex(10)


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


def _header_values(message: Message, name: str) -> list[str]:
    return list(message.header_values(name))


def ack_for(request: Message, response: Message) -> Message:
    """The ACK a client INVITE transaction sends for a non-2xx final response (17.1.1.3)."""
    headers: list[tuple[str, str]] = [("Via", _header_values(request, "Via")[0])]
    for name in ("Route",):
        headers += [(name, v) for v in _header_values(request, name)]
    headers += [
        ("Max-Forwards", "70"),
        ("From", request.header("From") or ""),
        ("To", response.header("To") or ""),
        ("Call-ID", request.call_id),
        ("CSeq", f"{request.cseq.number} ACK"),
    ]
    return Request("ACK", str(request.uri), headers)


class ClientTransaction:
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
        self.branch = request.via[0].branch or ""
        self.key = (self.branch, "INVITE" if self.method == "ACK" else self.method)
        self.is_invite = self.method == "INVITE"
        self.state = State.CALLING if self.is_invite else State.TRYING
        self.on_provisional = on_provisional
        self.final: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.layer._client[self.key] = self
        await self.flow.send(self.request)
        if not self.flow.kind.reliable:
            self._spawn(self._retransmit())
        self._spawn(self._timeout())

    def _spawn(self, coro: object) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(coro))  # type: ignore[arg-type]

    async def _retransmit(self) -> None:
        t = self.layer.timers
        interval = t.t1
        while self.state in (State.CALLING, State.TRYING, State.PROCEEDING):
            await asyncio.sleep(interval)
            if self.state is State.PROCEEDING and self.is_invite:
                return  # INVITE stops retransmitting once a provisional response arrives
            if self.state not in (State.CALLING, State.TRYING, State.PROCEEDING):
                return
            await self._send_quietly(self.request)
            interval = min(interval * 2, t.t2) if not self.is_invite else interval * 2
            if self.state is State.PROCEEDING:
                interval = t.t2

    async def _timeout(self) -> None:
        await asyncio.sleep(self.layer.timers.b)
        if not self.final.done():
            self._terminate()
            self.final.set_exception(
                TransactionTimeout(
                    f"no final response to {self.method} after {self.layer.timers.b:g}s",
                    field="timer B" if self.is_invite else "timer F",
                )
            )

    async def _send_quietly(self, message: Message) -> None:
        try:
            await self.flow.send(message)
        except TransportError as exc:
            log.debug("retransmission failed: %s", exc)

    def receive(self, response: Message) -> None:
        status = response.status or 0
        if status < 200:
            if self.state in (State.CALLING, State.TRYING, State.PROCEEDING):
                self.state = State.PROCEEDING
                if self.on_provisional is not None:
                    self.on_provisional(response)
            return
        if self.is_invite:
            if 200 <= status < 300:
                if not self.final.done():
                    self.final.set_result(response)
                    # RFC 6026: the client transaction ends, 2xx retransmissions go to the TU.
                    self._terminate()
                return
            # Non-2xx: ACK it (again, for every retransmission) and wait out timer D.
            self.layer.loop.create_task(self._send_quietly(ack_for(self.request, response)))
            if self.state is not State.COMPLETED:
                self.state = State.COMPLETED
                if not self.final.done():
                    self.final.set_result(response)
                self._linger(0.0 if self.flow.kind.reliable else self.layer.timers.b)  # timer D
            return
        if self.state is not State.COMPLETED:
            self.state = State.COMPLETED
            if not self.final.done():
                self.final.set_result(response)
            self._linger(0.0 if self.flow.kind.reliable else self.layer.timers.t4)

    def _linger(self, seconds: float) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []

        async def later() -> None:
            await asyncio.sleep(seconds)
            self._terminate()

        self._spawn(later())

    def _terminate(self) -> None:
        self.state = State.TERMINATED
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        self.layer._client.pop(self.key, None)


class ServerTransaction:
    """Holds the last response to one received request and re-sends it on retransmissions."""

    def __init__(self, layer: TransactionLayer, request: Message, flow: Flow, key: tuple[str, ...]):
        self.layer = layer
        self.request = request
        self.flow = flow
        self.key = key
        self.is_invite = request.method == "INVITE"
        self.state = State.PROCEEDING if self.is_invite else State.TRYING
        self.last_response: Message | None = None
        self.acked: asyncio.Future[Message | None] = layer.loop.create_future()
        self._tasks: list[asyncio.Task[None]] = []
        self._trying_timer: asyncio.TimerHandle | None = None
        if self.is_invite:
            # 17.2.1: a 100 Trying after 200 ms if the TU has not answered by then.
            self._trying_timer = layer.loop.call_later(0.2, self._auto_trying)

    def _auto_trying(self) -> None:
        if self.last_response is None:
            self.layer.loop.create_task(self.respond(100, "Trying"))

    def response(
        self,
        status: int,
        reason: str,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        to_tag: str | None = None,
    ) -> Message:
        """A response to this request (8.2.6): Via, From, To, Call-ID, CSeq copied."""
        req = self.request
        to = req.header("To") or ""
        if to_tag and status > 100 and ";tag=" not in to.replace(" ", "").lower():
            to = f"{to};tag={to_tag}"
        out: list[tuple[str, str]] = [("Via", v) for v in req.header_values("Via")]
        if 100 < status < 300 and req.method in DIALOG_CREATING:
            out += [("Record-Route", v) for v in req.header_values("Record-Route")]  # 12.1.1
        out += [
            ("From", req.header("From") or ""),
            ("To", to),
            ("Call-ID", req.call_id),
            ("CSeq", f"{req.cseq.number} {req.cseq.method}"),
        ]
        if status == 100 and req.header("Timestamp"):
            out.append(("Timestamp", req.header("Timestamp") or ""))
        return Response(status, reason, out + list(headers or []), body)

    async def respond(
        self,
        status: int,
        reason: str,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        to_tag: str | None = None,
    ) -> Message:
        return await self.send(self.response(status, reason, headers, body, to_tag))

    async def send(self, response: Message) -> Message:
        status = response.status or 0
        if self.state in (State.COMPLETED, State.CONFIRMED, State.TERMINATED):
            return response  # final already sent: the TU must not send another
        if self._trying_timer is not None:
            self._trying_timer.cancel()
            self._trying_timer = None
        self.last_response = response
        if status < 200:
            self.state = State.PROCEEDING
        elif self.is_invite and status < 300:
            self.state = State.ACCEPTED
            self._after(self.layer.timers.b)  # timer L
        else:
            self.state = State.COMPLETED
            if self.is_invite:
                if not self.flow.kind.reliable:
                    self._spawn(self._retransmit_final())
                self._spawn(self._wait_ack())  # timer H
            else:
                self._after(0.0 if self.flow.kind.reliable else self.layer.timers.b)  # timer J
        try:
            await self.flow.send(response)
        except TransportError as exc:
            # 17.2.4: a transport error here is reported to the TU; the transaction ends.
            log.info("response to %s could not be sent: %s", self.request.method, exc)
            self._terminate()
            raise
        return response

    def _spawn(self, coro: object) -> None:
        self._tasks.append(self.layer.loop.create_task(coro))  # type: ignore[arg-type]

    def _after(self, seconds: float) -> None:
        async def later() -> None:
            await asyncio.sleep(seconds)
            self._terminate()

        self._spawn(later())

    async def _retransmit_final(self) -> None:
        t = self.layer.timers
        interval = t.t1
        while self.state is State.COMPLETED and self.last_response is not None:
            await asyncio.sleep(interval)
            if self.state is not State.COMPLETED:
                return
            try:
                await self.flow.send(self.last_response)
            except TransportError:
                return
            interval = min(interval * 2, t.t2)

    async def _wait_ack(self) -> None:
        await asyncio.sleep(self.layer.timers.b)
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
                for task in self._tasks:
                    task.cancel()
                self._tasks = []
                self._after(0.0 if self.flow.kind.reliable else self.layer.timers.t4)  # timer I
            return
        if self.last_response is not None and self.state is not State.ACCEPTED:
            self.layer.loop.create_task(self._resend())

    async def _resend(self) -> None:
        if self.last_response is not None:
            try:
                await self.flow.send(self.last_response)
            except TransportError as exc:
                log.debug("re-sending a response failed: %s", exc)

    def _terminate(self) -> None:
        self.state = State.TERMINATED
        if self._trying_timer is not None:
            self._trying_timer.cancel()
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        self.layer._server.pop(self.key, None)


RequestHandler = Callable[[Message, ServerTransaction], None]
StrayHandler = Callable[[Message, Flow], None]


class TransactionLayer:
    """Matches messages to transactions and hands new requests and stray 2xx/ACKs to the TU."""

    def __init__(
        self,
        on_request: RequestHandler,
        on_stray: StrayHandler | None = None,
        timers: Timers | None = None,
    ):
        self.loop = asyncio.get_running_loop()
        self.on_request = on_request
        self.on_stray = on_stray
        self.timers = timers or Timers()
        self._client: dict[tuple[str, str], ClientTransaction] = {}
        self._server: dict[tuple[str, ...], ServerTransaction] = {}

    async def request(
        self,
        request: Message,
        flow: Flow,
        on_provisional: Callable[[Message], None] | None = None,
    ) -> Message:
        """Send ``request`` in a new client transaction and return its final response."""
        tx = ClientTransaction(self, request, flow, on_provisional)
        await tx.start()
        return await tx.final

    def start_client(
        self,
        request: Message,
        flow: Flow,
        on_provisional: Callable[[Message], None] | None = None,
    ) -> ClientTransaction:
        return ClientTransaction(self, request, flow, on_provisional)

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
            request.header("From") or "",
            request.call_id,
            str(request.cseq.number),
            via.host.lower(),
            method,
        )

    def receive(self, message: Message, flow: Flow) -> None:
        """Entry point for every message a transport delivers."""
        if not message.via:
            return  # nothing can be matched or answered without a Via
        if not message.is_request:
            key = (message.via[0].branch or "", message.cseq.method)
            tx = self._client.get(key)
            if tx is not None:
                tx.receive(message)
            elif self.on_stray is not None:
                self.on_stray(message, flow)  # 2xx retransmissions after RFC 6026 termination
            return
        key = self.server_key(message)
        server = self._server.get(key)
        if server is not None:
            server.receive_retransmission(message)
            return
        if message.method == "ACK":
            if self.on_stray is not None:
                self.on_stray(message, flow)  # the ACK for a 2xx belongs to the dialog
            return
        server = ServerTransaction(self, message, flow, key)
        self._server[key] = server
        self.on_request(message, server)

    def close(self) -> None:
        for tx in list(self._client.values()):
            tx._terminate()
        for stx in list(self._server.values()):
            stx._terminate()
