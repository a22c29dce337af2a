"""Call transfer as the SDK shapes it: blind, and attended with several consultations pending.

An attended transfer holds the original call and dials a consultation call (the SDK's child
session); :meth:`TransferVerbs.complete_transfer` / :meth:`~TransferVerbs.cancel_transfer` take
that child, so each original call can have its own consultation in progress. A transfer whose
final NOTIFY never comes is a :class:`~siperb.errors.SiperbError` (``field="NOTIFY"``) and the
call stays as it was: still established, not counted as ended by us.
"""

from __future__ import annotations

import asyncio

from ..errors import SiperbError
from ..sip.session import CallState
from .call import Call
from .verbs import CallVerbs

#: Seconds to wait for the far end's final NOTIFY after it accepted the REFER.
TRANSFER_TIMEOUT = 30.0


class TransferVerbs(CallVerbs):
    """Blind and attended transfer (REFER, REFER with Replaces)."""

    async def _refer(self, call: Call, target: str | Call, timeout: float) -> int:
        """REFER and wait for the outcome; a missing NOTIFY leaves the call as it was."""
        call._local_end = True
        if isinstance(target, Call):
            target._local_end = True
        try:
            status = await call.sip.transfer(target.sip if isinstance(target, Call) else target,
                                             timeout=timeout)  # fmt: skip
        except (asyncio.TimeoutError, SiperbError) as exc:
            call._local_end = False
            if isinstance(target, Call):
                target._local_end = False
            if isinstance(exc, SiperbError):
                raise
            reason = f"no final NOTIFY from the far end within {timeout:g} s"
            self.toast(self.translator.t("toast.transfer_failed", reason=reason))
            raise SiperbError(f"transfer: {reason}", field="NOTIFY", reason=reason) from None
        if 200 <= status < 300:
            self.toast(self.translator.t("toast.transfer_complete"))
        else:
            call._local_end = False
            if isinstance(target, Call):
                target._local_end = False
            self.toast(self.translator.t("toast.transfer_failed", reason=str(status)))
        return status

    async def blind_transfer(self, target: str, call: Call | str | None = None, *,
                             timeout: float = TRANSFER_TIMEOUT) -> int:  # fmt: skip
        """REFER the far end to ``target``; the final status it reported (2xx: transferred)."""
        self.options.require("transfer")
        self.options.check_dial_target(target)
        return await self._refer(self._pick(call), target, timeout)

    async def attended_transfer(self, target: str, call: Call | str | None = None) -> Call:
        """Hold the call and dial ``target``; returns the consultation (child) call."""
        self.options.require("transfer")
        self.options.check_dial_target(target)
        original = self._pick(call)
        if original in self._transfers.values():
            raise SiperbError("this call already has a transfer pending", field="call")
        if not original.held:
            await self._reinvite(original, hold=True)
        consult = await self.dial(target, known=(target,))
        self._transfers[consult] = original
        return consult

    def _pending(self, child: Call | str | None, field: str) -> tuple[Call, Call]:
        """(original, consultation) of the child session, or the only pending transfer."""
        if child is None:
            if len(self._transfers) != 1:
                what = "no attended transfer in progress" if not self._transfers else \
                    "several transfers pending: name the consultation call"  # fmt: skip
                raise SiperbError(what, field=field)
            consult, original = next(iter(self._transfers.items()))
            return original, consult
        found = child if isinstance(child, Call) else self.find_call(child)
        if found is None or found not in self._transfers:
            raise SiperbError(f"{field}: {getattr(child, 'id', child)!r} is not a pending "
                              "transfer's consultation call", field=field)  # fmt: skip
        return self._transfers[found], found

    async def complete_transfer(self, child: Call | str | None = None, *, field: str = "call",
                                timeout: float = TRANSFER_TIMEOUT) -> int:  # fmt: skip
        """Connect the held caller with the consulted party (REFER with Replaces)."""
        self.options.require("transfer")
        original, consult = self._pending(child, field)
        if consult.sip.state is not CallState.ESTABLISHED:
            raise SiperbError("the consulted party has not answered", field="transfer")
        status = await self._refer(original, consult, timeout)
        if 200 <= status < 300:
            self._transfers.pop(consult, None)
        return status

    async def cancel_transfer(self, child: Call | str | None = None, *,
                              field: str = "call") -> None:  # fmt: skip
        """Hang up the consultation call and take the original call off hold."""
        self.options.require("transfer")
        original, consult = self._pending(child, field)
        self._transfers.pop(consult, None)
        consult._local_end = True
        await consult.sip.hangup()
        if original.sip.state is CallState.ESTABLISHED and original.held:
            await self._reinvite(original, hold=False)


__all__ = ["TRANSFER_TIMEOUT", "TransferVerbs"]
