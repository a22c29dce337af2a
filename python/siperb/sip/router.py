"""Routing what arrives: new requests, in-dialog requests, ACKs, stray and forked 2xx.

A new INVITE becomes an inbound :class:`~siperb.sip.session.InviteSession`, in-dialog requests go to
their dialog's owner (481 when there is none), OPTIONS is answered with our capabilities,
MESSAGE and out-of-dialog NOTIFY become events, malformed requests get a 400 naming the parse
error. A 2xx from a fork of our INVITE that we did not keep is ACKed and ended with BYE
(RFC 3261 13.2.2.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any, Protocol

from .._core import LingerTable
from ..errors import SiperbError, TransportError
from . import Message, Response, parse
from .dialog import Dialog
from .limits import LogLimiter, SourceLimiter, Verdict
from .session import InviteSession, SessionStack
from .stack import DialogKey, DialogUser
from .subscription import parse_message_summary
from .transaction import (
    DIALOG_CREATING,
    ClientTransaction,
    ServerTransaction,
    TransactionLayer,
    cseq_of,
)
from .transport import Flow, TransportKind

log = logging.getLogger("siperb.sip.ua")

_HEADER_LINE = re.compile(rb"^([A-Za-z][A-Za-z0-9.!%*_+`'~-]*)[ \t]*:[ \t]*(.*)$")
_COMPACT = {b"v": b"via", b"f": b"from", b"t": b"to", b"i": b"call-id"}


def bad_request_for(data: bytes, reason: str) -> Message | None:
    """A 400 for an unparseable request, from its raw Via/From/To/Call-ID/CSeq; None if not
    even those can be found (then the datagram is dropped)."""
    head = data.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n")
    if not head or head[0].startswith(b"SIP/") or head[0].startswith(b"ACK "):
        return None
    found: dict[bytes, list[bytes]] = {}
    for line in head[1:]:
        m = _HEADER_LINE.match(line.strip(b"\r"))
        if m:
            name = m.group(1).lower()
            found.setdefault(_COMPACT.get(name, name), []).append(m.group(2).strip())
    wanted = (b"via", b"from", b"to", b"call-id", b"cseq")
    if not all(found.get(n) for n in wanted):
        return None
    phrase = re.sub(r"[^\x20-\x7e]", " ", reason)[:120].strip() or "Bad Request"
    headers = [("Via", v.decode("utf-8", "replace")) for v in found[b"via"]]
    headers += [
        (n.decode().title().replace("Call-Id", "Call-ID").replace("Cseq", "CSeq"),
         found[n][0].decode("utf-8", "replace"))
        for n in wanted[1:]
    ]  # fmt: skip
    try:
        return Response(400, phrase, headers)
    except SiperbError:
        pass
    # The CSeq itself is what is broken: answer with the request line's method so the client
    # can still see why (it may not match the response to its transaction).
    method = head[0].split(b" ", 1)[0].decode("ascii", "replace")
    digits = re.sub(r"\D", "", found[b"cseq"][0].decode("ascii", "replace"))[:9] or "0"
    headers = [(n, f"{digits} {method}" if n == "CSeq" else v) for n, v in headers]
    try:
        return Response(400, phrase, headers)
    except SiperbError:
        return None


def dialog_key_in(request: Message) -> DialogKey:
    """The dialog an incoming request belongs to, as we key it (our tag is its To tag)."""
    to_tag = request.to.tag if request.to is not None else None
    from_tag = request.from_.tag if request.from_ is not None else None
    return (request.call_id or "", to_tag or "", from_tag or "")


class RouterHost(SessionStack, Protocol):
    """What the router needs beyond what sessions get: the transaction layer."""

    @property
    def SUPPORTED(self) -> str: ...
    @property
    def layer(self) -> TransactionLayer | None: ...


async def _bye_fork(host: RouterHost, dialog: Dialog, headers: list[tuple[str, str]]) -> None:
    """BYE to a fork we do not keep; unanswered (that fork is gone) it is only logged."""
    try:
        await host.send_authenticated(lambda: dialog.request("BYE", host.via(), headers=headers))
    except SiperbError as exc:
        log.info("BYE to another fork failed: %s", exc)


def _tag_2xx(final: Any) -> str:
    """The To tag of a resolved INVITE's 2xx ("" for any other outcome)."""
    if final.cancelled() or final.exception() is not None:
        return ""
    response = final.result()
    ok = 200 <= (response.status or 0) < 300 and response.to is not None
    return (response.to.tag or "") if ok else ""


def _drop_older(table: dict[Any, Any], oldest: float) -> None:
    """Removes the entries of a time-ordered (insertion-ordered) table stamped before ``oldest``."""
    while table:
        key = next(iter(table))
        if table[key][0] >= oldest:
            return
        del table[key]


class Router:
    """The UA's dispatcher: owns the dialog table and the forked-INVITE bookkeeping."""

    def __init__(self, host: RouterHost):
        self.host = host
        self.dialogs: dict[DialogKey, DialogUser] = {}
        self.pending_subscriptions: dict[tuple[str, str], DialogUser] = {}
        cfg = host.config
        # Initial INVITEs we sent, by (Call-ID, From tag), for 2xx from other forks (13.2.2.4):
        # the transactions in flight, and from their final for 64*T1 the request's bytes and
        # the To tag of the 2xx we kept, in a native table (back-to-back calls keep ~5,000 of
        # them: as objects they filled the interpreter's arenas, issue 17). And the ACKs sent
        # for those forks' 2xx (re-sent for their retransmissions).
        self._inviting: dict[tuple[str, str], ClientTransaction] = {}
        self._sent_invites = LingerTable(cfg.max_lingering or 0)
        self._fork_acks: dict[DialogKey, tuple[float, Message]] = {}
        self._prune: asyncio.TimerHandle | None = None  # one for both tables
        self.limiter = (
            SourceLimiter(cfg.request_rate, cfg.request_burst,
                          drop_after=cfg.request_drop_after, max_sources=cfg.max_sources)
            if cfg.request_rate else None
        )  # fmt: skip
        self.log_limiter = LogLimiter(cfg.malformed_log_interval)
        self.counters = {"rate_refused": 0, "rate_dropped": 0, "dialogs_refused": 0,
                         "subscriptions_refused": 0, "malformed": 0}  # fmt: skip

    # ---- the dialog table ----

    def register_dialog(self, key: DialogKey, owner: DialogUser) -> None:
        self.dialogs[key] = owner

    def forget_dialog(self, key: DialogKey) -> None:
        self.dialogs.pop(key, None)

    def admit_outgoing(self, pending: int) -> None:
        """A call we place will make a dialog: refused (TransportError) when the table with
        ``pending`` (our calls still without one) is at ``max_dialogs``."""
        limit = self.host.config.max_dialogs
        if limit is not None and len(self.dialogs) + pending >= limit:
            self.counters["dialogs_refused"] += 1
            raise TransportError(
                f"{limit} dialogs live already: no new call",
                field="max_dialogs",
                reason="the dialog table is full",
            )

    def expect_notify(self, call_id: str, local_tag: str, owner: DialogUser | None) -> None:
        """Raises TransportError when ``max_subscriptions`` are live already."""
        if owner is None:
            self.pending_subscriptions.pop((call_id, local_tag), None)
            return
        limit = self.host.config.max_subscriptions
        key = (call_id, local_tag)
        full = limit is not None and len(self.pending_subscriptions) >= limit
        if full and key not in self.pending_subscriptions:
            self.counters["subscriptions_refused"] += 1
            raise TransportError(f"{limit} subscriptions live already", field="max_subscriptions")
        self.pending_subscriptions[key] = owner

    # ---- admission of new requests (before any transaction exists) ----

    def admit(self, request: Message, flow: Flow) -> bool:
        """The transaction layer asks before a new request gets a server transaction: a
        request that creates state is subject to its source's rate limit and to the dialog
        table's bound. False: it was refused (stateless 503) or dropped."""
        method = request.method or ""
        if method in ("ACK", "CANCEL") or (request.to is not None and request.to.tag):
            return True
        layer = self.host.layer
        assert layer is not None
        if self.limiter is not None:
            source = flow.remote.host
            verdict = self.limiter.check(source, asyncio.get_running_loop().time())
            if verdict is Verdict.DROP and flow.kind is TransportKind.UDP:
                self.counters["rate_dropped"] += 1
                self._log_limited(f"rate:{source}", "dropping requests from %s: over its rate",
                                  source)  # fmt: skip
                return False
            if verdict is not Verdict.ADMIT:
                self.counters["rate_refused"] += 1
                self._log_limited(f"rate:{source}", "503 to %s: over its request rate", source)
                layer.refuse(request, flow, 503, "Service Unavailable",
                             self.limiter.retry_after(source))  # fmt: skip
                return False
        limit = self.host.config.max_dialogs
        if method in DIALOG_CREATING and limit is not None and len(self.dialogs) >= limit:
            self.counters["dialogs_refused"] += 1
            layer.refuse(request, flow, 503, "Service Unavailable")
            return False
        return True

    def _log_limited(self, key: str, fmt: str, *args: object) -> None:
        held = self.log_limiter.allow(key, asyncio.get_running_loop().time())
        if held is None:
            return
        if held:
            log.info(fmt + " (%d more like this not logged)", *args, held)
        else:
            log.info(fmt, *args)

    # ---- from the transport ----

    def on_message(self, message: Message, flow: Flow) -> None:
        layer = self.host.layer
        assert layer is not None
        try:
            # Contact is parsed when first read (then kept): read it before anything acts on
            # the message, so a malformed one is refused here (a 400) as a parse error was.
            message.contact  # noqa: B018
            layer.receive(message, flow)
        except SiperbError as exc:  # a header that only fails when read (lazy parsing)
            self._reject_malformed(message, flow, exc)
        except Exception:
            log.exception("failed to handle a %s", message.method or message.status)

    def _reject_malformed(self, message: Message, flow: Flow, exc: SiperbError) -> None:
        self.counters["malformed"] += 1
        self._log_limited(f"malformed:{flow.remote.host}", "malformed %s from %s: %s",
                          message.method or "response", flow.remote, exc)  # fmt: skip
        if message.is_request and message.method != "ACK":
            response = bad_request_for(bytes(message), exc.reason or str(exc))
            if response is not None:
                with contextlib.suppress(TransportError):
                    flow.send_nowait(response)

    def on_malformed(self, data: bytes, flow: Flow, exc: SiperbError) -> None:
        """A message the parser refused (every transport): a 400 when its Via can be read;
        logged once per source per ``malformed_log_interval`` with a count of the rest."""
        self.counters["malformed"] += 1
        self._log_limited(f"malformed:{flow.remote.host}", "malformed message from %s: %s",
                          flow.remote, exc)  # fmt: skip
        response = bad_request_for(data, exc.reason or str(exc))
        if response is not None:
            with contextlib.suppress(TransportError):
                flow.send_nowait(response)

    # ---- requests ----

    def on_request(self, request: Message, tx: ServerTransaction) -> None:
        try:
            self._route(request, tx)
        except SiperbError as exc:
            self.counters["malformed"] += 1
            self._log_limited(f"malformed:{tx.flow.remote.host}", "bad %s from %s: %s",
                              request.method, tx.flow.remote, exc)  # fmt: skip
            tx.respond(400, re.sub(r"[^\x20-\x7e]", " ", exc.reason or "Bad Request")[:120])
        except Exception:
            log.exception("failed to handle %s", request.method)
            tx.respond(500, "Server Internal Error")

    def _route(self, request: Message, tx: ServerTransaction) -> None:
        host = self.host
        method = request.method or ""
        to_tag = request.to.tag if request.to is not None else None
        unsupported = [r for r in request.require if r not in ("replaces", "outbound")]
        if unsupported and method not in ("ACK", "CANCEL"):
            tx.respond(420, "Bad Extension", [("Unsupported", ", ".join(unsupported))])
            return
        if method == "CANCEL":
            self._on_cancel(request, tx)
            return
        if to_tag:
            owner = self.dialogs.get(dialog_key_in(request))
            if owner is None and method == "NOTIFY":
                owner = self._subscription_for_notify(request)
            if owner is None:
                tx.respond(481, "Call/Transaction Does Not Exist")
                return
            owner.on_request(request, tx)
            return
        if method == "INVITE":
            InviteSession.incoming(host, request, tx)
        elif method == "OPTIONS":
            tx.respond(200, "OK", [("Allow", host.ALLOW), ("Accept", host.ACCEPT),
                                   ("Supported", host.SUPPORTED),
                                   ("User-Agent", host.config.user_agent)])  # fmt: skip
        elif method == "MESSAGE":
            tx.respond(200, "OK")
            host.events.emit(
                "message", from_=request.header("From") or "", to=request.header("To") or "",
                content_type=request.content_type or "text/plain", body=request.body,
                text=request.body.decode("utf-8", "replace"),
            )  # fmt: skip
        elif method == "NOTIFY":
            owner = self._subscription_for_notify(request)
            if owner is not None:
                owner.on_request(request, tx)
                return
            tx.respond(200, "OK")  # unsolicited (e.g. message-summary from a PBX)
            self.emit_notify(request, None)
        elif method in ("BYE", "INFO", "UPDATE", "PRACK", "REFER"):
            tx.respond(481, "Call/Transaction Does Not Exist")
        elif method in ("SUBSCRIBE", "REGISTER", "PUBLISH"):
            tx.respond(405, "Method Not Allowed", [("Allow", host.ALLOW)])
        else:
            tx.respond(501, "Not Implemented", [("Allow", host.ALLOW)])

    def emit_notify(self, request: Message, subscription: object) -> None:
        event = request.event
        package = event.package if event is not None else ""
        summary = parse_message_summary(request.body) if package == "message-summary" else None
        self.host.events.emit("notify", event=package, body=request.body,
                              subscription=subscription, content_type=request.content_type or "",
                              summary=summary)  # fmt: skip

    def _subscription_for_notify(self, request: Message) -> DialogUser | None:
        to_tag = request.to.tag if request.to is not None else ""
        return self.pending_subscriptions.get((request.call_id or "", to_tag or ""))

    def _on_cancel(self, request: Message, tx: ServerTransaction) -> None:
        layer = self.host.layer
        assert layer is not None
        invite_tx = layer.invite_server(request)
        if invite_tx is None:
            if layer.invite_answered(request):
                tx.respond(200, "OK")  # too late: the INVITE was answered (9.2: no effect)
            else:
                tx.respond(481, "Call/Transaction Does Not Exist")
            return
        tx.respond(200, "OK")
        for call in self.host.calls:
            if getattr(call, "invite_tx", None) is invite_tx:
                call.on_cancel(request)
                return
        invite_tx.respond(487, "Request Terminated")

    # ---- ACKs and responses outside any transaction ----

    def on_stray(self, message: Message, flow: Flow) -> None:
        if message.is_request:  # an ACK for a 2xx
            owner = self.dialogs.get(dialog_key_in(message))
            if owner is not None:
                owner.on_ack(message)
            return
        if 200 <= (message.status or 0) < 300 and cseq_of(message).method == "INVITE":
            from_tag = message.from_.tag if message.from_ is not None else ""
            to_tag = message.to.tag if message.to is not None else ""
            key = (message.call_id or "", from_tag or "", to_tag or "")
            owner = self.dialogs.get(key)
            if owner is not None:
                owner.on_stray_response(message)
            else:
                self._on_forked_2xx(message, key)

    def note_invite(self, tx: ClientTransaction) -> None:
        """Remembers an initial INVITE while it is in flight and for 64*T1 after its final, the
        time its forks may still answer (then it and its forks' ACKs are dropped, whether or
        not another INVITE follows)."""
        req = tx.request
        tag = (req.from_.tag if req.from_ is not None else None) or ""
        key = (req.call_id or "", tag)
        self._inviting[key] = tx  # an authenticated retry replaces the challenged one
        self._sent_invites.erase("\n".join(key))
        tx.final.add_done_callback(lambda final: self._invite_final(key, tx, final))

    def _invite_final(self, key: tuple[str, str], tx: ClientTransaction, final: Any) -> None:
        """Keeps what fork handling needs of an INVITE with its final: bytes and a To tag."""
        if self._inviting.get(key) is not tx:
            return
        del self._inviting[key]
        keep = 64 * self.host.config.timers.t1
        deadline = asyncio.get_running_loop().time() + keep
        self._sent_invites.add("\n".join(key), 0, 0, tx.request_bytes(), deadline, _tag_2xx(final))
        self._prune_later()

    def _prune_later(self) -> None:
        if self._prune is None:
            self._prune = asyncio.get_running_loop().call_later(
                64 * self.host.config.timers.t1 + 0.01, self._prune_forks
            )

    def _prune_forks(self) -> None:
        """Drops the entries older than 64*T1: the native table by its deadlines, the ACKs from
        their oldest end (insertion order), no scan of every call in progress; one timer,
        due when the oldest entry left is."""
        if self._prune is not None:
            self._prune.cancel()  # called early (tests): the pending one would run twice
        self._prune = None
        loop = asyncio.get_running_loop()
        keep = 64 * self.host.config.timers.t1
        self._sent_invites.expire(loop.time())
        _drop_older(self._fork_acks, loop.time() - keep)
        due = [next(iter(self._fork_acks.values()))[0] + keep] if self._fork_acks else []
        if (at := self._sent_invites.next_deadline()) is not None:
            due.append(at)
        if due:
            self._prune = loop.call_at(min(due) + 0.01, self._prune_forks)

    def _on_forked_2xx(self, response: Message, key: DialogKey) -> None:
        """RFC 3261 13.2.2.4: a 2xx for one of our INVITEs from a dialog we did not keep (a
        second fork that picked up): ACK it, then end that dialog with BYE."""
        host = self.host
        if not key[2]:
            return
        if (tx := self._inviting.get(key[:2])) is not None:
            # In flight, or its final in and its callback not yet run.
            final = tx.final
            request, accepted = tx.request, _tag_2xx(final) if final.done() else ""
        elif (sent := self._sent_invites.find("\n".join(key[:2]))) is not None:
            request, accepted = parse(sent[2]), sent[3]
        else:
            return
        if accepted == key[2]:
            return  # the kept dialog's own 2xx, before its call registered the dialog
        acked = self._fork_acks.get(key)
        if acked is not None:
            with contextlib.suppress(TransportError):
                host.send_nowait(acked[1])
            return
        dialog = Dialog.as_uac(request, response)
        dialog.local_seq = cseq_of(request).number
        ack = dialog.request("ACK", host.via(), cseq=cseq_of(response).number)
        self._fork_acks[key] = (asyncio.get_running_loop().time(), ack)
        self._prune_later()
        log.info("2xx from another fork (To tag %s): ACK and BYE", key[2])
        with contextlib.suppress(TransportError):
            host.send_nowait(ack)
        headers = [("User-Agent", host.config.user_agent)]
        host.spawn(_bye_fork(host, dialog, headers))
