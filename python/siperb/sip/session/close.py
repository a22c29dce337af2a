"""Ending a call (RFC 3261 15): hang up however far it got, BYE, and the remote BYE."""

from __future__ import annotations

import asyncio
import contextlib

from ...errors import SiperbError
from .base import SessionBase, log
from .state import CallState, Outcome


class CloseMixin(SessionBase):
    """CANCEL, reject or BYE, whichever ends the call in its state."""

    async def hangup(self) -> None:
        """End the call however far it got: CANCEL, reject, or BYE. Waits until it ended."""
        if self.state is CallState.TERMINATED:
            return
        if self.direction == "inbound" and self.state is CallState.INCOMING:
            await self.reject(603, "Decline", "hung up")
        elif self.state in (CallState.CALLING, CallState.RINGING, CallState.EARLY_MEDIA):
            self._cancel = True
            if self._provisional:
                self._send_cancel()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.ended), self.ua.config.timers.b)
        else:
            await self._bye(Outcome.COMPLETED, 0, "local hangup")

    def media_failed(self, reason: str) -> None:
        """The media cannot flow (DTLS failed, ICE consent lost): end the call, saying why.

        Established: BYE, and the call ends with outcome ``media_failed`` and ``reason``.
        Not answered yet (early media): it is hung up as by :meth:`hangup`.
        """
        if self.state is CallState.TERMINATED:
            return
        log.info("media failed: %s", reason)
        if self.state is CallState.ESTABLISHED:
            self.ua.spawn(self._bye(Outcome.MEDIA_FAILED, 0, reason))
        else:
            self.ua.spawn(self.hangup())

    async def _bye(self, outcome: Outcome, status: int, reason: str) -> None:
        if self.state is CallState.TERMINATED or self.dialog is None:
            return
        if self._retx is not None:
            self._retx.cancel()
        dialog = self.dialog
        self._terminate(outcome, status, reason)  # no requests of the dialog after this point
        try:
            await self.ua.send_authenticated(
                lambda: dialog.request(
                    "BYE", self.ua.via(), headers=[("User-Agent", self.ua.config.user_agent)]
                )
            )
        except SiperbError as exc:
            log.info("BYE failed: %s", exc)

    def _on_bye(self) -> None:
        self._terminate(Outcome.COMPLETED, 0, "remote hangup")
