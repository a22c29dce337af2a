"""Calls: one INVITE dialog with its offer/answer, hold, DTMF, transfer and teardown.

:class:`InviteSession` is assembled from one mixin per behaviour, split the way the session's RFC
sections are: :mod:`.connect` (outgoing INVITE, CANCEL), :mod:`.accept` (incoming INVITE,
answer, reject, Replaces), :mod:`.modify` (re-INVITE/UPDATE, hold, glare), :mod:`.info` (INFO,
DTMF), :mod:`.transfer` (REFER/NOTIFY) and :mod:`.close` (hangup, BYE); this module only routes
in-dialog requests to them.

Each state change emits ``call_state`` (``call``, ``state``, ``previous``) on the stack's hub;
DTMF emits ``dtmf``, remote hold ``hold``, transfer progress ``transfer``.
"""

from __future__ import annotations

from .. import Message
from ..transaction import ServerTransaction
from .accept import AcceptMixin
from .close import CloseMixin
from .connect import ConnectMixin
from .info import InfoMixin
from .modify import ModifyMixin
from .transfer import TransferMixin


class InviteSession(ConnectMixin, AcceptMixin, ModifyMixin, InfoMixin, TransferMixin, CloseMixin):
    """One call (an INVITE dialog). Create with :meth:`UserAgent.call` or take from the
    ``incoming_call`` event."""

    def on_request(self, request: Message, tx: ServerTransaction) -> None:
        """An in-dialog request: to the behaviour that handles its method."""
        method = request.method or ""
        assert self.dialog is not None
        if self.dialog.accept_request(request) is not None:
            tx.respond(500, "Server Internal Error", [("Retry-After", "1")])
            return
        if method == "BYE":
            tx.respond(200, "OK")
            self._on_bye()
        elif method == "INVITE":
            self._on_reinvite(request, tx)
        elif method == "UPDATE":
            self._on_update(request, tx)
        elif method == "INFO":
            self._on_info(request, tx)
        elif method == "REFER":
            self._on_refer(request, tx)
        elif method == "NOTIFY":
            self._on_notify(request, tx)
        elif method == "MESSAGE":
            tx.respond(200, "OK")
            self.ua.events.emit("message", call=self, from_=request.header("From") or "",
                                to=request.header("To") or "", body=request.body,
                                content_type=request.content_type or "text/plain",
                                text=request.body.decode("utf-8", "replace"))  # fmt: skip
        elif method == "OPTIONS":
            tx.respond(200, "OK", [("Allow", self.ua.ALLOW), ("Accept", self.ua.ACCEPT)])
        else:
            tx.respond(501, "Not Implemented", [("Allow", self.ua.ALLOW)])
