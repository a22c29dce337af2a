"""What a SIP transaction keeps while it lingers after its final response.

RFC 3261 keeps a transaction for up to 64*T1 (32 s) after its final response (timers D, I,
J, K, L, M) only to absorb retransmissions: an INVITE or request retransmitted gets the last
response again, a final response retransmitted gets the ACK again. That needs the bytes of
those messages and the transaction's key, not their parsed form, nor the transaction.
Back-to-back calls keep ~5,000 calls' transactions lingering at once (issue 17): as parsed
messages they cost ~30 KB a call; as transaction objects with their timer handles ~7 KB of
the interpreter's small-object arenas a call, which a burst then left pinned by a few
survivors. So a transaction that lingers leaves the transaction layer for a
:class:`LingerStore` entry (its key, the bytes to send again, its flow; in native memory,
one timer for the whole table), and the object itself keeps its messages as bytes
(:meth:`Lingering._shed`) for whoever still holds it: a reader of ``request`` or
``last_response`` gets a message parsed again from those bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from typing import TYPE_CHECKING

from .._core import LingerTable
from .._memory import release_soon
from ..errors import TransportError
from . import Message, parse

if TYPE_CHECKING:
    from .transport import Flow

log = logging.getLogger("siperb.sip.transaction")


class Lingering:
    """The request and last response of a transaction, parsed or as bytes once it lingers."""

    _request: Message | None = None
    _request_raw: bytes = b""
    _response: Message | None = None
    _response_raw: bytes | None = None

    @property
    def request(self) -> Message:
        """The request (parsed again from its bytes once the transaction lingers)."""
        if self._request is None:
            self._request = parse(self._request_raw)
        return self._request

    @request.setter
    def request(self, message: Message) -> None:
        self._request, self._request_raw = message, b""

    @property
    def last_response(self) -> Message | None:
        """The last response sent (server transactions; parsed again once it lingers)."""
        if self._response is None and self._response_raw is not None:
            self._response = parse(self._response_raw)
        return self._response

    @last_response.setter
    def last_response(self, message: Message | None) -> None:
        self._response, self._response_raw = message, None

    def request_bytes(self) -> bytes:
        """The request's bytes (kept as they are once the transaction lingers)."""
        return self._request_raw if self._request is None else bytes(self._request)

    def _last_response_bytes(self) -> bytes | None:
        """What a retransmitted request gets again, without parsing it back."""
        if self._response_raw is not None:
            return self._response_raw
        return None if self._response is None else bytes(self._response)

    def _shed(self) -> None:
        """The final response is out or in: keep bytes, let the parsed messages go."""
        if self._request is not None:
            self._request_raw, self._request = bytes(self._request), None
        if self._response is not None:
            self._response_raw, self._response = bytes(self._response), None


class LingeringFinal:
    """A client transaction's ``final``: the future of its final response, and once the
    transaction lingers and its waiters have had the response, the response's bytes instead
    (a parsed message is ~3 KB native, and timers D and M keep it 32 s: every call's
    407-challenged INVITE lingered with its parsed 407, issue 17)."""

    _final: asyncio.Future[Message] | None
    _final_raw: bytes = b""
    _final_loop: asyncio.AbstractEventLoop

    @property
    def final(self) -> asyncio.Future[Message]:
        """Resolves with the final response (or the transport error or timeout); once shed, a
        resolved future of the response parsed again from its bytes."""
        if self._final is None:
            again: asyncio.Future[Message] = self._final_loop.create_future()
            again.set_result(parse(self._final_raw))
            return again
        return self._final

    def _unresolved(self) -> asyncio.Future[Message] | None:
        """``final`` while it has no outcome yet; None once it has one."""
        f = self._final
        return f if f is not None and not f.done() else None

    def _shed_final_soon(self) -> None:
        """Keep the response's bytes once the waiters already on ``final`` have had it: a done
        callback added now runs after theirs."""
        if self._final is not None and self._final.done():
            self._final.add_done_callback(self._shed_final)

    def _shed_final(self, f: asyncio.Future[Message]) -> None:
        if self._final is f and not f.cancelled() and f.exception() is None:
            self._final_raw, self._final_loop, self._final = bytes(f.result()), f.get_loop(), None


class Linger(enum.IntEnum):
    """What a copy that matches a lingering transaction gets."""

    ABSORB = 0  # timer K: a copy of the response is absorbed
    RESEND = 1  # timers J, I: a copy of the request gets the last response again; ACKs absorbed
    ACK_AGAIN = 2  # timer D: a copy of the non-2xx final gets the ACK again; a 2xx goes to the TU
    ACCEPTED = 3  # timers M, L (RFC 6026): a 2xx copy (M) or an ACK (L) goes to the TU, a copy
    # of the INVITE (L) is absorbed


class LingerStore:
    """The transactions that linger, as entries of a native table (key -> what a match gets,
    the bytes to send, the flow), with one timer handle for all of them: it fires at the
    earliest deadline, at most once per ``tick`` (an entry may outlive its deadline by that
    much: it only absorbs copies a little longer). Past ``max_entries`` the entries closest to
    their end go first, so a flood of requests cannot grow it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_entries: int, tick: float) -> None:
        self._loop = loop
        self._table = LingerTable(max_entries)
        # Flows by a number of their own (never reused: an id() could come back as another
        # flow's once a closed one is dropped and collected), and the numbers by flow.
        self._flows: dict[int, Flow] = {}
        self._numbers: dict[Flow, int] = {}
        self._next = 0
        self._tick = tick
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = float("inf")

    def keep(self, side: str, key: tuple[str, ...], kind: Linger, flow: Flow, resend: bytes,
             seconds: float) -> int:  # fmt: skip
        """Keeps a client ("c") or server ("s") transaction's ``key`` lingering for ``seconds``
        with what copies get; returns the entries evicted for it."""
        number = self._numbers.get(flow)
        if number is None:
            self._next = number = self._next + 1
            self._numbers[flow], self._flows[number] = number, flow
        deadline = self._loop.time() + seconds
        evicted = self._table.add(_joined(side, key), kind, number, resend, deadline)
        if deadline + self._tick < self._timer_at:
            self._arm(deadline)
        return evicted

    def find(self, side: str, key: tuple[str, ...]) -> tuple[Linger, Flow | None, bytes] | None:
        """What a copy with this key gets, the flow to send it on (None: gone) and the bytes."""
        hit = self._table.find(_joined(side, key))
        if hit is None:
            return None
        kind, flow, resend, _ = hit
        return Linger(kind), self._flows.get(flow), resend

    def response_copy(self, key: tuple[str, ...], response: Message) -> bool:
        """A copy of a lingering client transaction's final: absorbed (True), its ACK sent
        again (timer D), or a 2xx for the TU (False: RFC 6026)."""
        hit = self.find("c", key)
        if hit is None:
            return False
        kind, flow, ack = hit
        status = response.status or 0
        if 200 <= status < 300:
            return kind is Linger.ABSORB
        if kind is Linger.ACK_AGAIN and status >= 300 and flow is not None:
            with contextlib.suppress(TransportError):
                flow.send_nowait(ack)
        return True

    def request_copy(self, key: tuple[str, ...], request: Message) -> bool:
        """A copy of a lingering server transaction's request: its last response again
        (timers J, I) or absorbed (True); an ACK at timer L is the TU's (False)."""
        hit = self.find("s", key)
        if hit is None:
            return False
        kind, flow, last = hit
        if request.method == "ACK":
            return kind is not Linger.ACCEPTED
        if kind is Linger.RESEND and last and flow is not None:
            try:
                flow.send_nowait(last)
            except TransportError as exc:
                log.debug("re-sending a response failed: %s", exc)
        return True

    def _arm(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at = max(at, self._loop.time() + self._tick)
        self._timer = self._loop.call_at(at, self._expire)

    def _expire(self) -> None:
        self._timer, self._timer_at = None, float("inf")
        if self._table.expire(self._loop.time()):
            release_soon()  # a burst of ended calls' transactions expires together
        if not self._table:
            self._flows.clear()
            self._numbers.clear()
            return
        for flow in [f for f in self._numbers if f.closed]:
            del self._flows[self._numbers.pop(flow)]
        at = self._table.next_deadline()
        if at is not None:
            self._arm(at)

    def __len__(self) -> int:
        return len(self._table)

    @property
    def evicted(self) -> int:
        return self._table.evicted

    def clear(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, float("inf")
        self._table.clear()
        self._flows.clear()
        self._numbers.clear()


def _joined(side: str, key: tuple[str, ...]) -> str:
    """One string for the native table: client and server keys kept apart."""
    return side + "\n" + "\n".join(key)
