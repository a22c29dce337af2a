"""Call transfer (RFC 3515 REFER, RFC 3891 Replaces) as transferor and as transferee.

Transferor: REFER to a URI (blind) or to another call's dialog (attended, Refer-To with
Replaces), then wait for the final sipfrag NOTIFY and end the transferred call(s). Transferee:
accept the REFER, call the target, and report its progress in sipfrag NOTIFYs.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import quote, unquote

from ...errors import SiperbError, TransportError
from .. import Message
from ..transaction import ServerTransaction
from .base import SessionBase
from .state import CallState, Outcome


def parse_sipfrag_status(body: bytes) -> int | None:
    """The status code of a message/sipfrag status line (``SIP/2.0 200 OK``)."""
    first = body.decode("utf-8", "replace").split("\n", 1)[0].split()
    if (
        len(first) >= 2
        and first[0].upper().startswith("SIP/")
        and first[1].isascii()
        and first[1].isdigit()
    ):
        return int(first[1])
    return None


class TransferMixin(SessionBase):
    """REFER and its NOTIFYs in both roles."""

    async def transfer(self, target: str | SessionBase, timeout: float = 30.0) -> int:
        """Transfer the far end (REFER): blind to a URI, attended to another call (Replaces).

        Returns the final status the far end reported in its NOTIFY sipfrag (or the REFER's
        failure status); on success this call is ended with BYE (outcome ``transferred``).
        """
        if isinstance(target, SessionBase):
            other = target.dialog
            if other is None:
                raise TransportError("the other call has no dialog", field="Replaces")
            ids = f"{other.call_id};to-tag={other.remote_tag};from-tag={other.local_tag}"
            replaces = quote(ids,
                             safe="")  # fmt: skip
            uri = target.remote_uri.split("?")[0]
            refer_to = f"<{uri}?Replaces={replaces}>"
        else:
            refer_to = f"<{self.ua.normalize_target(target)}>"
        self._refer_result = asyncio.get_running_loop().create_future()
        response = await self._request(
            "REFER", [("Refer-To", refer_to), ("Referred-By", f"<{self.ua.aor.raw}>")]
        )
        status = response.status or 0
        if not 200 <= status < 300:
            return status
        final = await asyncio.wait_for(self._refer_result, timeout)
        if 200 <= final < 300:
            if isinstance(target, SessionBase):
                await target._bye(Outcome.TRANSFERRED, 0, "transferred")
            await self._bye(Outcome.TRANSFERRED, 0, "transferred")
        return final

    def _on_refer(self, request: Message, tx: ServerTransaction) -> None:
        refer_to = request.refer_to
        if refer_to is None:
            tx.respond(400, "Missing Refer-To")
            return
        tx.respond(202, "Accepted", [("Contact", self.ua.contact())])
        self.ua.events.emit("transfer_requested", call=self, target=refer_to.uri.raw)
        self.ua.spawn(self._follow_refer(refer_to.uri.raw, request.header("Referred-By")))

    async def _notify_refer(self, status: int, phrase: str, final: bool) -> None:
        state = "terminated;reason=noresource" if final else "active;expires=60"
        with contextlib.suppress(SiperbError):
            await self._request(
                "NOTIFY", [("Event", "refer"), ("Subscription-State", state)],
                f"SIP/2.0 {status} {phrase}\r\n".encode(), "message/sipfrag;version=2.0",
            )  # fmt: skip

    async def _follow_refer(self, target: str, referred_by: str | None) -> None:
        """Transferee: call the Refer-To target and report progress with NOTIFYs (RFC 3515)."""
        await self._notify_refer(100, "Trying", final=False)
        uri, _, query = target.partition("?")
        headers: list[tuple[str, str]] = []
        for item in query.split("&") if query else []:
            name, _, value = item.partition("=")
            if name.lower() == "replaces":
                headers.append(("Replaces", unquote(value)))
        if referred_by:
            headers.append(("Referred-By", referred_by))
        new = self.outgoing(self.ua, uri, headers=headers)
        self.ua.events.emit("transfer", call=self, new_call=new, target=uri, role="transferee")
        await new.wait_for(CallState.ESTABLISHED, timeout=None)
        if new.state is CallState.ESTABLISHED:
            await self._notify_refer(200, "OK", final=True)
            await self._bye(Outcome.TRANSFERRED, 0, "transferred")
        else:
            await self._notify_refer(new.status or 503, new.reason or "Failed", final=True)

    def _on_notify(self, request: Message, tx: ServerTransaction) -> None:
        event = request.event
        if event is None or event.package != "refer":
            tx.respond(489, "Bad Event")
            return
        tx.respond(200, "OK")
        status = parse_sipfrag_status(request.body)
        if status is None:
            return
        self.ua.events.emit("transfer", call=self, status=status, role="transferor")
        if status >= 200 and self._refer_result is not None and not self._refer_result.done():
            self._refer_result.set_result(status)
