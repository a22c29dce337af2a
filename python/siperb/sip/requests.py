"""Out-of-dialog requests and digest-authenticated sending.

:class:`RequestSender` builds initial requests from the account's addressing (8.1.1) and sends
requests through the transaction layer on the proxy connection. ``send_authenticated`` answers
401/407 challenges (RFC 3261 22.2, RFC 7616) by rebuilding the request with credentials, and on
a timeout or a dead flow moves to the next located server (RFC 3263 4.3) and tries again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Protocol

from ..errors import TransportError
from . import Message, Request
from .auth import DigestChallenge, DigestClient
from .connection import ProxyConnection
from .transaction import ClientTransaction, TransactionLayer, TransactionTimeout


class Addressing(Protocol):
    """Where requests come from; the UA (whose subclasses may change its Via/Contact)."""

    @property
    def layer(self) -> TransactionLayer | None: ...
    def via(self, branch: str | None = None) -> str: ...
    def local_name_addr(self) -> str: ...
    def extra_headers(self, method: str) -> list[tuple[str, str]]: ...


class RequestSender:
    """Builds and sends requests for one account over its proxy connection."""

    def __init__(self, host: Addressing, connection: ProxyConnection, auth: DigestClient):
        self.host = host
        self.connection = connection
        self.auth = auth

    def new_request(
        self,
        method: str,
        target: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes = b"",
        *,
        call_id: str | None = None,
        from_tag: str | None = None,
        cseq: int = 1,
        to: str | None = None,
    ) -> Message:
        """An out-of-dialog request (8.1.1) from our AoR to ``target``."""
        host = self.host
        out = [
            ("Via", host.via()),
            ("Max-Forwards", "70"),
            ("From", f"{host.local_name_addr()};tag={from_tag or secrets.token_hex(6)}"),
            ("To", to or f"<{target}>"),
            ("Call-ID", call_id or secrets.token_hex(12)),
            ("CSeq", f"{cseq} {method}"),
            ("User-Agent", self.connection.config.user_agent),
            *headers,
            *host.extra_headers(method),
        ]
        return Request(method, target, out, body)

    def send_request(
        self, request: Message, on_provisional: Callable[[Message], None] | None = None
    ) -> ClientTransaction:
        layer = self.host.layer
        assert layer is not None, "UserAgent.start() first"
        return layer.start_client(request, self.connection.require_flow(), on_provisional)

    async def send_authenticated(
        self,
        build: Callable[[], Message],
        on_provisional: Callable[[Message], None] | None = None,
        on_transaction: Callable[[ClientTransaction], None] | None = None,
    ) -> Message:
        """Send ``build()``; on 401/407 answer the challenge and send ``build()`` again (its
        CSeq goes up) with the credentials. Returns the final response (a 401/407 when the
        credentials are wrong or missing)."""
        connection = self.connection
        request = build()
        attempt = failovers = 0
        while attempt < 3:
            tx = self.send_request(request, on_provisional)
            if on_transaction is not None:
                on_transaction(tx)
            try:
                response = await tx.final
            except TransportError as exc:
                # RFC 3263 4.3: a timeout or transport failure moves to the next server.
                if not isinstance(exc, TransactionTimeout) and not tx.flow.closed:
                    raise
                failovers += 1
                if failovers > len(connection.targets) or not await connection.failover(tx.flow):
                    raise
                request = build()
                continue
            status = response.status or 0
            if status not in (401, 407):
                return response
            challenges = [
                DigestChallenge.from_params(c.params, proxy=status == 407)
                for c in (
                    response.www_authenticate if status == 401 else response.proxy_authenticate
                )
                if c.scheme.lower() == "digest"
            ]
            auth = self.auth.authorize(
                challenges,
                method=request.method or "",
                uri=str(request.uri),
                body=request.body,
                first=attempt == 0,
            )
            attempt += 1
            if auth is None:
                return response
            request = build()
            for name in {n for n, _ in auth}:
                request = request.without_header(name)
            names = {n.lower() for n, _ in auth}
            for name, value in auth:
                request = request.with_added_header(name, value)
            # The account's own headers of those names (a Bearer token) stay beside the digest.
            for name, value in self.host.extra_headers(request.method or ""):
                if name.lower() in names:
                    request = request.with_added_header(name, value)
        return response
