"""The SIP user agent: one account's connection, registration, calls, messages, subscriptions.

:class:`UserAgent` is a composition: a :class:`~siperb.sip.connection.ProxyConnection` (locate,
connect, fail over, reconnect), a :class:`~siperb.sip.requests.RequestSender` (build, send,
answer digest challenges) and a :class:`~siperb.sip.router.Router` (what arrives goes to its
dialog, call, subscription or event), around one transaction layer. It is the
:class:`~siperb.sip.stack.SipStack` its calls, registration and subscriptions are given, and
offers the conveniences (:meth:`call`, :meth:`send_message`, :meth:`options`,
:meth:`subscribe`). Via and Contact are its methods so that a subclass can change them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..errors import SiperbError
from ..events import EventHub
from . import Message, Request, Uri
from .auth import Credentials, DigestClient
from .config import UserAgentConfig
from .connection import ProxyConnection, ProxyTarget, parse_proxy
from .keepalive import UdpKeepAlive
from .localaddr import is_unspecified, source_address
from .registration import Registration
from .requests import RequestSender
from .resolver import Resolver, ServerTarget
from .router import Router, bad_request_for
from .session import InviteSession, MediaHandler
from .stack import DialogKey, DialogUser
from .subscription import Subscription
from .transaction import ClientTransaction, TransactionLayer, new_branch
from .transport import Endpoint, Flow, TransportKind

__all__ = [
    "DialogKey",
    "DialogUser",
    "ProxyTarget",
    "UserAgent",
    "UserAgentConfig",
    "bad_request_for",
    "parse_proxy",
]

log = logging.getLogger("siperb.sip.ua")


class UserAgent:
    """A SIP phone for one account; see the module docstring for what it handles."""

    ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, MESSAGE, SUBSCRIBE"
    ACCEPT = "application/sdp, application/dtmf-relay, message/sipfrag, text/plain, " + (
        "application/simple-message-summary"
    )
    SUPPORTED = "replaces, norefersub, outbound, path"

    def __init__(self, config: UserAgentConfig, *, events: EventHub | None = None):
        self.config = config
        self.events = events or EventHub()
        self.aor = Uri.parse(config.aor)
        creds = list(config.credentials)
        if config.password is not None:
            creds.append(Credentials(config.username or self.aor.user or "", config.password))
        self.layer: TransactionLayer | None = None
        self.router = Router(self)
        self.connection = ProxyConnection(
            config, self.events, self._on_message, self.router.on_malformed,
            self._on_reconnected,
        )  # fmt: skip
        self.keepalive = UdpKeepAlive(
            lambda: self.connection.flow, config.udp_keepalive_interval or 0.0,
            self._on_public_address, on_lost=self._on_udp_lost, on_back=self._on_udp_back,
        )  # fmt: skip
        self.connection.on_stun = self.keepalive.on_stun
        self.requests = RequestSender(self, self.connection, DigestClient(creds))
        self.calls: list[InviteSession] = []  # live calls, oldest first
        self.registration: Registration | None = None
        self._ws_host = f"{secrets.token_hex(6)}.invalid"
        self._tasks: set[asyncio.Task[Any]] = set()

    # ---- the connection's state, for applications and tests ----

    @property
    def flow(self) -> Flow | None:
        return self.connection.flow

    @flow.setter
    def flow(self, flow: Flow | None) -> None:  # a server-side UA is handed its flow
        self.connection.flow = flow

    @property
    def connected(self) -> asyncio.Event:
        return self.connection.connected

    @property
    def targets(self) -> list[ServerTarget]:
        return self.connection.targets

    @property
    def target_index(self) -> int:
        return self.connection.target_index

    @property
    def failovers(self) -> int:
        return self.connection.failovers

    @property
    def reconnects(self) -> int:
        return self.connection.reconnects

    @property
    def target(self) -> ProxyTarget:
        return self.connection.target

    @property
    def resolver(self) -> Resolver:
        return self.connection.resolver

    @property
    def auth(self) -> DigestClient:
        return self.requests.auth

    @property
    def counters(self) -> dict[str, int]:
        """What the limits refused or dropped so far (rate, tables, malformed input)."""
        out = dict(self.router.counters)
        if self.router.limiter is not None:
            out["rate_sources"] = len(self.router.limiter)
        if self.layer is not None:
            out.update(self.layer.counters)
            out["transactions"] = self.layer.pending
        out["dialogs"] = len(self.router.dialogs)
        return out

    # ---- lifecycle ----

    async def start(self, *, register: bool = True, wait: bool = True) -> None:
        """Connect, and register (waiting for the first result when ``wait``)."""
        cfg = self.config
        self.layer = TransactionLayer(
            self.router.on_request, self.router.on_stray, cfg.timers,
            max_server=cfg.max_transactions, max_client=cfg.max_transactions,
            max_lingering=cfg.max_lingering,
            retry_after=cfg.retry_after, admit=self.router.admit,
        )  # fmt: skip
        await self.connection.connect()
        if self.config.udp_keepalive_interval:
            self.keepalive.start()
        if register:
            self.registration = Registration(
                self, self.config.expires, retry_min=self.config.register_retry_min,
                retry_max=self.config.register_retry_max,
            )  # fmt: skip
            if wait:
                await self.registration.register()
                self._refresh_later(self.registration)
            else:
                self.registration.start()

    def _refresh_later(self, reg: Registration) -> None:
        """After a successful first REGISTER, the refresher's first run is the refresh."""
        granted = reg.granted or reg.requested_expires

        async def later() -> None:
            await asyncio.sleep(max(1.0, granted * reg.refresh_ratio))
            reg.start()

        self.spawn(later())

    def _on_message(self, message: Message, flow: Flow) -> None:
        if message.status is not None and flow.kind is TransportKind.UDP:
            self.keepalive.observe_response(message, flow)
        self.router.on_message(message, flow)

    def _on_public_address(self, old: tuple[str, int], new: tuple[str, int]) -> None:
        """The NAT mapped the UDP flow anew (RFC 5626 4.4.1): the registrar's binding points
        to the old mapping, so register again over the new one."""
        self.events.emit("transport", state="remapped", kind="UDP",
                         previous=f"{old[0]}:{old[1]}", public=f"{new[0]}:{new[1]}")  # fmt: skip
        self._on_reconnected()

    def _on_udp_lost(self) -> None:
        """STUN keep-alives to the proxy go unanswered: say so (the phone goes offline)."""
        self.events.emit("transport", state="lost", kind="UDP", reason="keep-alives unanswered")

    def _on_udp_back(self) -> None:
        """The proxy answers again, maybe restarted without our binding: register again."""
        flow = self.connection.flow
        self.events.emit("transport", state="connected", kind="UDP",
                         local=str(flow.local) if flow else "",
                         remote=str(flow.remote) if flow else "")  # fmt: skip
        self._on_reconnected()

    def _on_reconnected(self) -> None:
        """The registrar may have lost the binding with the old flow: register again now."""
        if self.registration is not None:
            self.registration.start()
            self.registration.refresh_now()

    async def close(self) -> None:
        """Hang up calls, unregister, and close the transport."""
        self.connection.closing = True
        for call in list(self.calls):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(call.hangup(), 2.0)
        if self.registration is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.registration.close(), 5.0)
        self.keepalive.close()
        for task in list(self._tasks):
            task.cancel()
        if self.layer is not None:
            self.layer.close()
        self.connection.close()

    async def __aenter__(self) -> UserAgent:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """A background task that is kept referenced, logged on failure, cancelled on close."""

        async def run() -> Any:
            try:
                return await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task failed")
                return None

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def locate(self) -> list[ServerTarget]:
        """Where the proxy is (RFC 3263 for SIP URIs, the URL's host for WS(S) URLs)."""
        return await self.connection.locate()

    async def failover(self, failed: Flow) -> bool:
        """Move to the next located server; see :meth:`ProxyConnection.failover`."""
        return await self.connection.failover(failed)

    # ---- addressing (overridable: a subclass may name another host or Contact user) ----

    def local_endpoint(self) -> Endpoint:
        """The flow's local address; for a wildcard bind, the address toward the proxy."""
        flow = self.connection.require_flow()
        if is_unspecified(flow.local.host):
            host = source_address(flow.remote.host, flow.remote.port)
            if host is not None:
                return Endpoint(host, flow.local.port)
        return flow.local

    def sent_by(self) -> str:
        flow = self.connection.require_flow()
        if flow.kind in (TransportKind.WS, TransportKind.WSS):
            return self._ws_host  # RFC 7118 section 5.2: a .invalid host
        return str(self.local_endpoint())

    def via(self, branch: str | None = None) -> str:
        kind = self.connection.require_flow().kind.value
        return f"SIP/2.0/{kind} {self.sent_by()};branch={branch or new_branch()};rport"

    def contact_uri(self) -> Uri:
        flow = self.connection.require_flow()
        user = self.aor.user or "siperb"
        params = f";transport={flow.kind.uri_param}"
        if self.config.outbound:
            params += ";ob"
        return Uri.parse(f"sip:{user}@{self.sent_by()}{params}")

    def contact(self, *, register: bool = False) -> str:
        value = f"<{self.contact_uri().raw}>"
        if register and self.config.instance_id:
            value += f';+sip.instance="<{self.config.instance_id}>"'
            if self.config.outbound:
                value += f";reg-id={self.config.reg_id}"
        return value

    def local_name_addr(self) -> str:
        name = self.config.display_name
        quoted = '"' + name.replace('"', "") + '" ' if name else ""
        return f"{quoted}<{self.aor.raw}>"

    def registrar_uri(self) -> str:
        return self.config.registrar or f"sip:{self.aor.host}"

    def extra_headers(self, method: str) -> list[tuple[str, str]]:
        extra = self.config.extra_headers
        return [*extra.get("*", []), *extra.get(method, [])]

    def normalize_target(self, target: str) -> str:
        """``"1001"`` -> ``sip:1001@<our domain>``; full URIs stay."""
        if target.lower().startswith(("sip:", "sips:", "tel:")):
            return target
        if "@" in target:
            return f"sip:{target}"
        return f"sip:{target}@{self.aor.host}"

    def media_host(self) -> str:
        """The address RTP should be bound to and advertised on, for the current flow: the
        local address of the connection (of any transport) to the proxy, so the interface
        that reaches the peer."""
        return self.local_endpoint().host

    # ---- the stack interface (see siperb.sip.stack.SipStack) ----

    @staticmethod
    def request(method: str, uri: str, headers: Sequence[tuple[str, str]],
                body: bytes = b"") -> Message:  # fmt: skip
        return Request(method, uri, list(headers), body)

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
        return self.requests.new_request(method, target, headers, body, call_id=call_id,
                                         from_tag=from_tag, cseq=cseq, to=to)  # fmt: skip

    def send_request(
        self, request: Message, on_provisional: Callable[[Message], None] | None = None
    ) -> ClientTransaction:
        return self.requests.send_request(request, on_provisional)

    async def send_authenticated(
        self,
        build: Callable[[], Message],
        on_provisional: Callable[[Message], None] | None = None,
        on_transaction: Callable[[ClientTransaction], None] | None = None,
    ) -> Message:
        """Send ``build()``, answering 401/407 and failing over; the final response."""
        return await self.requests.send_authenticated(build, on_provisional, on_transaction)

    def send_nowait(self, message: Message) -> None:
        self.connection.require_flow().send_nowait(message)

    def register_dialog(self, key: DialogKey, owner: DialogUser) -> None:
        self.router.register_dialog(key, owner)

    def forget_dialog(self, key: DialogKey) -> None:
        self.router.forget_dialog(key)

    def expect_notify(self, call_id: str, local_tag: str, owner: DialogUser | None) -> None:
        self.router.expect_notify(call_id, local_tag, owner)

    def emit_notify(self, request: Message, subscription: object) -> None:
        self.router.emit_notify(request, subscription)

    def note_invite(self, tx: ClientTransaction) -> None:
        self.router.note_invite(tx)

    def make_media(self) -> MediaHandler:
        factory = self.config.media_factory
        if factory is None:
            raise SiperbError("this user agent has no media_factory", field="media_factory")
        return factory(self)

    # ---- conveniences ----

    async def call(
        self,
        target: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        media: MediaHandler | None = None,
    ) -> InviteSession:
        """Place a call (INVITE with an SDP offer); returns the session at once, ringing.

        Raises TransportError (field ``max_dialogs``) when the dialog table, counting our
        calls that have none yet, is full: the bound holds for our own calls too."""
        dialogs = self.router.dialogs
        pending = sum(1 for c in self.calls if c.direction == "outbound"
                      and (c.dialog is None or c.dialog.id not in dialogs))  # fmt: skip
        self.router.admit_outgoing(pending)
        return InviteSession.outgoing(
            self, self.normalize_target(target), headers=headers, media=media
        )

    async def send_message(
        self, target: str, text: str | bytes, content_type: str = "text/plain;charset=utf-8"
    ) -> Message:
        """A MESSAGE (RFC 3428); returns the final response."""
        body = text.encode() if isinstance(text, str) else text
        uri = self.normalize_target(target)
        call_id, tag = secrets.token_hex(12), secrets.token_hex(6)
        counter = iter(range(1, 10))
        return await self.send_authenticated(
            lambda: self.new_request("MESSAGE", uri, [("Content-Type", content_type)], body,
                                     call_id=call_id, from_tag=tag, cseq=next(counter))
        )  # fmt: skip

    async def options(self, target: str | None = None) -> Message:
        """An out-of-dialog OPTIONS (capabilities / keep-alive check)."""
        uri = self.normalize_target(target) if target else self.registrar_uri()
        return await self.send_request(self.new_request("OPTIONS", uri)).final

    async def subscribe(
        self, target: str | None = None, event: str = "message-summary", expires: int = 3600
    ) -> Subscription:
        """Subscribe (RFC 6665) as a subscriber; message-summary (RFC 3842) by default."""
        sub = Subscription(self, self.normalize_target(target) if target else self.aor.raw,
                           event, expires)  # fmt: skip
        await sub.start()
        return sub

    def new_instance_id(self) -> str:
        return f"urn:uuid:{uuid.uuid4()}"
