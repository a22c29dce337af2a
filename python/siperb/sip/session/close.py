"""Ending a call (RFC 3261 15): hang up however far it got, BYE, and the remote BYE."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from ...errors import SdpNegotiationError, SiperbError
from .. import Message
from .base import SessionBase, log
from .state import CallState, Outcome


class CloseMixin(SessionBase):
    """CANCEL, reject or BYE, whichever ends the call in its state."""

    async def hangup(self) -> None:
        """End the call however far it got: CANCEL, reject, or BYE. Waits until it ended.

        In a call we answered, the BYE waits for the caller's ACK of our 200 (RFC 3261
        15.1.1), or for our 200's retransmissions to give up (64*T1); cancelled meanwhile, it
        ends the call at once with one BYE."""
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

    def media_refused(self, reason: str) -> None:
        """Our media refused the negotiated parameters: the call ends, saying why.

        The media engine starts sessions off the event loop, so its refusal may come after the
        call was established: then as for an unusable answer (:meth:`_refuse_answer`). Not
        answered yet (early media): hung up as by :meth:`hangup`, after the same event.
        """
        if self.state is CallState.TERMINATED:
            return
        refuse_offer = getattr(self, "_refuse_offer", None)
        if self.state is CallState.INCOMING and refuse_offer is not None:
            # An inbound call's media starts before our 200 (accept.answer): 488, as an offer
            # we cannot take.
            refuse_offer(SdpNegotiationError(reason, field="m=audio", reason=reason))
            return
        if self.state is CallState.ESTABLISHED:
            if not self._acked.is_set():
                # RFC 3261 15: no BYE before the ACK of our 2xx (it would overtake the 2xx)
                self._refused_before_ack = reason
            else:
                self._refuse_answer(reason)
            return
        log.info("unusable early answer: %s", reason)
        self.ua.events.emit("sdp_refused", call=self, what="answer", status=0,
                            warning="", reason=reason)  # fmt: skip
        self.ua.spawn(self.hangup())

    def _refuse_answer(self, reason: str) -> None:
        """An unusable answer in a 2xx or an ACK (RFC 3261 13.2.2.4, 13.3.1.4): an
        ``sdp_refused`` event, then BYE; the call ends ``not_acceptable`` (488) with ``reason``."""
        log.info("unusable answer: %s", reason)
        self.ua.events.emit("sdp_refused", call=self, what="answer", status=0,
                            warning="", reason=reason)  # fmt: skip
        self.ua.spawn(self._bye(Outcome.NOT_ACCEPTABLE, 488, reason))

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
        try:
            await self._wait_for_ack()  # RFC 3261 15.1.1: not before the ACK of our 2xx
        except asyncio.CancelledError:
            # Given up (a closing stack): the call ends all the same, with one BYE sent once.
            bye = self._end_for_bye(outcome, status, reason)
            if bye is not None:
                with contextlib.suppress(SiperbError):
                    self.ua.send_nowait(bye())
            raise
        bye = self._end_for_bye(outcome, status, reason)
        if bye is None:
            return
        try:
            await self.ua.send_authenticated(bye)
        except SiperbError as exc:
            log.info("BYE failed: %s", exc)

    def _end_for_bye(self, outcome: Outcome, status: int,
                     reason: str) -> Callable[[], Message] | None:  # fmt: skip
        """End the call and return what builds its BYE; None when it had ended already."""
        if self.state is CallState.TERMINATED or self.dialog is None:
            return None
        dialog = self.dialog
        self._terminate(outcome, status, reason)  # no requests of the dialog after this point
        return lambda: dialog.request(
            "BYE", self.ua.via(), headers=[("User-Agent", self.ua.config.user_agent)]
        )

    def _on_bye(self) -> None:
        self._terminate(Outcome.COMPLETED, 0, "remote hangup")

    # ---- the far end vanished: no RTP (UserAgentConfig.media_timeout) ----

    def media_inactive(self) -> None:
        """The media saw no RTP for the configured time (its ``timeout`` event): end the
        call with BYE and outcome ``media_timeout``, unless it is on hold either way or
        came off hold (or was answered) less than the timeout ago: then look again once
        that much time has passed, if RTP has not come back (:meth:`media_active`) by then."""
        self._media_silent = True
        self._check_media()

    def media_active(self) -> None:
        """RTP came back after :meth:`media_inactive`."""
        self._media_silent = False
        if self._media_timer is not None:
            self._media_timer.cancel()
            self._media_timer = None

    def media_expected(self) -> None:
        """The call came off hold: RTP is expected from now on (the timeout counts anew)."""
        self._media_since = asyncio.get_running_loop().time()
        self._check_media()

    def _check_media(self) -> None:
        timeout = self.ua.config.media_timeout
        if self._media_timer is not None:
            self._media_timer.cancel()
            self._media_timer = None
        if not self._media_silent or timeout is None or self.state is not CallState.ESTABLISHED:
            return
        if self.local_hold or self.remote_hold:
            return
        loop = asyncio.get_running_loop()
        wait = self._media_since + timeout - loop.time()
        if wait > 0:
            self._media_timer = loop.call_later(wait, self._check_media)
            return
        log.info("no RTP for %gs on %s: ending the call", timeout, self)
        self.ua.events.emit("media_timeout", call=self, seconds=timeout)
        self.ua.spawn(self._bye(Outcome.MEDIA_TIMEOUT, 0, f"no RTP for {timeout:g} s"))
