"""Subscriptions as a subscriber (RFC 6665), e.g. message-summary for voicemail (RFC 3842).

The SUBSCRIBE's 2xx or the first NOTIFY (whichever comes first) creates the dialog; every NOTIFY
is answered 200 and emitted as a ``notify`` event (with a parsed ``summary`` for
message-summary). The subscription is refreshed before it expires and removed on close.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass

from ..errors import SiperbError, TransportError
from . import Message
from .dialog import Dialog, new_tag
from .stack import SipStack
from .transaction import ServerTransaction


@dataclass(frozen=True)
class MessageSummary:
    """An application/simple-message-summary body (RFC 3842)."""

    waiting: bool
    account: str | None = None
    new: int = 0
    old: int = 0
    urgent_new: int = 0
    urgent_old: int = 0


def parse_message_summary(body: bytes) -> MessageSummary | None:
    waiting: bool | None = None
    account = None
    counts = (0, 0, 0, 0)
    for line in body.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        key, value = name.strip().lower(), value.strip()
        if key == "messages-waiting":
            waiting = value.lower() == "yes"
        elif key == "message-account":
            account = value
        elif key == "voice-message":
            main, _, urgent = value.partition("(")
            new, _, old = main.strip().partition("/")
            unew, _, uold = urgent.rstrip(")").strip().partition("/")
            with contextlib.suppress(ValueError):
                counts = (int(new or 0), int(old or 0), int(unew or 0), int(uold or 0))
    if waiting is None:
        return None
    return MessageSummary(waiting, account, *counts)


class Subscription:
    """One subscription to ``event`` at ``target``; ``notifications`` counts NOTIFYs."""

    def __init__(self, ua: SipStack, target: str, event: str, expires: int = 3600):
        self.ua = ua
        self.target = target
        self.event = event
        self.expires = expires
        self.call_id = secrets.token_hex(12)
        self.local_tag = new_tag()
        self.dialog: Dialog | None = None
        self.state = "pending"
        self.notifications = 0
        self.last_body = b""
        self._cseq = 0
        self._refresh: asyncio.TimerHandle | None = None
        self._request: Message | None = None
        self._final_notify = asyncio.Event()
        self._closing = False

    def _build(self, expires: int) -> Message:
        if self.dialog is not None:
            return self.dialog.request(
                "SUBSCRIBE", self.ua.via(), self.ua.contact(),
                [("Event", self.event), ("Expires", str(expires)),
                 ("Accept", "application/simple-message-summary")],
            )  # fmt: skip
        self._cseq += 1
        self._request = self.ua.new_request(
            "SUBSCRIBE", self.target,
            [("Contact", self.ua.contact()), ("Event", self.event), ("Expires", str(expires)),
             ("Accept", "application/simple-message-summary")],
            call_id=self.call_id, from_tag=self.local_tag, cseq=self._cseq, to=f"<{self.target}>",
        )  # fmt: skip
        return self._request

    async def start(self) -> Message:
        """Send SUBSCRIBE; raises TransportError when the notifier refuses."""
        self.ua.expect_notify(self.call_id, self.local_tag, self)
        response = await self.ua.send_authenticated(lambda: self._build(self.expires))
        status = response.status or 0
        if not 200 <= status < 300:
            self.ua.expect_notify(self.call_id, self.local_tag, None)
            self.state = "terminated"
            raise TransportError(f"SUBSCRIBE refused: {status} {response.reason}",
                                 field="SUBSCRIBE", reason=response.reason)  # fmt: skip
        if self.dialog is None and self._request is not None:
            self._adopt(Dialog.as_uac(self._request, response))
        granted = response.expires if response.expires is not None else self.expires
        self._schedule_refresh(granted)
        return response

    def _adopt(self, dialog: Dialog) -> None:
        self.dialog = dialog
        self.ua.register_dialog(dialog.id, self)

    def _schedule_refresh(self, granted: int) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
        if granted > 0:
            loop = asyncio.get_running_loop()
            self._refresh = loop.call_later(
                max(1.0, granted * 0.5), lambda: self.ua.spawn(self._renew())
            )

    async def _renew(self) -> None:
        with contextlib.suppress(SiperbError):
            response = await self.ua.send_authenticated(lambda: self._build(self.expires))
            if 200 <= (response.status or 0) < 300:
                self._schedule_refresh(response.expires or self.expires)

    def on_request(self, request: Message, tx: ServerTransaction) -> None:
        if request.method != "NOTIFY":
            tx.respond(501, "Not Implemented")
            return
        if self.dialog is None and self._request is not None:
            # The NOTIFY came before the 2xx: it creates the dialog (RFC 6665 4.1.2.4).
            dialog = Dialog.as_uas(request, self.local_tag)
            dialog.local_seq = self._cseq
            self._adopt(dialog)
        elif self.dialog is not None:
            self.dialog.accept_request(request)
        tx.respond(200, "OK")
        self.notifications += 1
        self.last_body = request.body
        sub_state = request.subscription_state
        self.state = sub_state.state if sub_state is not None else "active"
        if self.state == "terminated":
            # The notifier ended it (RFC 6665 4.1.3): no more refreshes, the dialog is gone.
            self._final_notify.set()
            if self._refresh is not None:
                self._refresh.cancel()
            if not self._closing and self.dialog is not None:
                self.ua.forget_dialog(self.dialog.id)
        self.ua.emit_notify(request, self)

    def on_ack(self, ack: Message) -> None:
        return

    def on_stray_response(self, response: Message) -> None:
        return

    async def close(self) -> None:
        """Unsubscribe (Expires: 0). The dialog stays until the notifier's final NOTIFY
        (RFC 6665 4.1.2.3) or 64*T1, so that NOTIFY is answered 200 rather than 481."""
        self._closing = True
        if self._refresh is not None:
            self._refresh.cancel()
        self.ua.expect_notify(self.call_id, self.local_tag, None)
        dialog = self.dialog
        if dialog is not None and self.state != "terminated":
            response = None
            with contextlib.suppress(SiperbError):
                response = await self.ua.send_authenticated(lambda: self._build(0))
            if response is not None and 200 <= (response.status or 0) < 300:
                self.ua.spawn(self._forget_after_final_notify(dialog))
            else:
                self.ua.forget_dialog(dialog.id)
        self.state = "terminated"

    async def _forget_after_final_notify(self, dialog: Dialog) -> None:
        try:
            await asyncio.wait_for(self._final_notify.wait(), self.ua.config.timers.b)
        except asyncio.TimeoutError:
            pass
        finally:
            self.ua.forget_dialog(dialog.id)
