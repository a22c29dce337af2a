"""The narrow interface a dialog owner (call, registration, subscription) gets from the stack.

Children of the user agent type against :class:`SipStack`, not against the UA: they can be
driven by any object of this shape (the UA, a server-side echo, a test double), and the UA can
import them without an import circle. What only INVITE sessions need on top of this (their media
and the list of live calls) is :class:`siperb.sip.session.base.SessionStack`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from ..events import EventHub
from . import Message, Uri
from .transaction import ClientTransaction, ServerTransaction, Timers

DialogKey = tuple[str, str, str]  # (Call-ID, local tag, remote tag)


class DialogUser(Protocol):
    """What owns a dialog (a call or a subscription) and receives its in-dialog traffic."""

    def on_request(self, request: Message, tx: ServerTransaction) -> None: ...
    def on_ack(self, ack: Message) -> None: ...
    def on_stray_response(self, response: Message) -> None: ...


class StackConfig(Protocol):
    """The account settings children read (satisfied by ``UserAgentConfig``)."""

    @property
    def aor(self) -> str: ...
    @property
    def timers(self) -> Timers: ...
    @property
    def user_agent(self) -> str: ...
    @property
    def outbound(self) -> bool | None: ...
    @property
    def send_ringing(self) -> bool: ...
    @property
    def auto_answer(self) -> Callable[[Any], bool] | None: ...
    @property
    def max_calls(self) -> int | None: ...
    @property
    def max_ringing_calls(self) -> int | None: ...
    @property
    def retry_after(self) -> int: ...
    @property
    def ring_timeout(self) -> float | None: ...
    @property
    def request_rate(self) -> float | None: ...
    @property
    def request_burst(self) -> int: ...
    @property
    def request_drop_after(self) -> int: ...
    @property
    def max_sources(self) -> int: ...
    @property
    def max_dialogs(self) -> int | None: ...
    @property
    def max_subscriptions(self) -> int | None: ...
    @property
    def max_lingering(self) -> int | None: ...
    @property
    def malformed_log_interval(self) -> float: ...
    @property
    def media_timeout(self) -> float | None: ...


class SipStack(Protocol):
    """Send, build, address and route: what calls, registrations and subscriptions use."""

    @property
    def ALLOW(self) -> str: ...
    @property
    def ACCEPT(self) -> str: ...
    @property
    def config(self) -> StackConfig: ...
    @property
    def events(self) -> EventHub: ...
    @property
    def aor(self) -> Uri: ...

    # ---- sending ----

    def send_request(
        self, request: Message, on_provisional: Callable[[Message], None] | None = None
    ) -> ClientTransaction:
        """Start a client transaction on the current flow."""

    def send_authenticated(
        self,
        build: Callable[[], Message],
        on_provisional: Callable[[Message], None] | None = None,
        on_transaction: Callable[[ClientTransaction], None] | None = None,
    ) -> Awaitable[Message]:
        """Send ``build()``, answering digest challenges; the final response."""

    def send_nowait(self, message: Message) -> None:
        """Send outside any transaction (an ACK for a 2xx); raises TransportError."""

    # ---- building and addressing ----

    def request(self, method: str, uri: str, headers: Sequence[tuple[str, str]],
                body: bytes = b"") -> Message:  # fmt: skip
        """A request with exactly ``headers``."""

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
        """An out-of-dialog request from our AoR."""

    def normalize_target(self, target: str) -> str: ...
    def via(self, branch: str | None = None) -> str: ...
    def contact_uri(self) -> Uri: ...
    def contact(self, *, register: bool = False) -> str: ...
    def local_name_addr(self) -> str: ...
    def registrar_uri(self) -> str: ...
    def extra_headers(self, method: str) -> list[tuple[str, str]]: ...

    # ---- dialogs, subscriptions, tasks ----

    def register_dialog(self, key: DialogKey, owner: DialogUser) -> None: ...
    def forget_dialog(self, key: DialogKey) -> None: ...

    def expect_notify(self, call_id: str, local_tag: str, owner: DialogUser | None) -> None:
        """Route NOTIFYs for a SUBSCRIBE not yet answered to ``owner`` (None: stop)."""

    def emit_notify(self, request: Message, subscription: object) -> None:
        """The ``notify`` event for a NOTIFY (with a parsed message-summary)."""

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """A background task, kept referenced, cancelled when the stack closes."""
