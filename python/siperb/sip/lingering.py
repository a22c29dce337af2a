"""What a SIP transaction keeps while it lingers after its final response.

RFC 3261 keeps a transaction for up to 64*T1 (32 s) after its final response (timers D, J, K,
L, M) only to absorb retransmissions: an INVITE or request retransmitted gets the last
response again, a final response retransmitted gets the ACK again. That needs the bytes of
those messages and the transaction's key, not their parsed form. A parsed message costs
~3 KB of native memory beside its ~700 bytes, and back-to-back calls keep ~5,000 calls'
transactions lingering at once: their parsed requests, provisionals and responses (~30 KB a
call) set the soak's high-water mark (issue 17). So once a transaction is done, its
messages are kept as bytes (:meth:`Lingering._shed`); a reader of ``request`` or
``last_response`` still gets a message, parsed again from those bytes.
"""

from __future__ import annotations

import asyncio

from . import Message, parse


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
