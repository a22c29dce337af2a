"""Registration (RFC 3261 section 10, RFC 5626 instance/reg-id): bind, refresh, retry, remove.

One :class:`Registration` keeps one Contact bound at the registrar: it sends REGISTER (answering
digest challenges through the UA), refreshes at half the granted expiry, retries failures with
exponential backoff, follows 423 Interval Too Brief to the registrar's Min-Expires, and removes
the binding on close. Events (on the UA's hub): ``registered``, ``unregistered``,
``registration_failed``, each with ``status`` and ``reason``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets

from ..errors import AuthenticationError, SiperbError, TransportError
from . import Message
from .stack import SipStack

log = logging.getLogger("siperb.sip.registration")


class RegistrationError(SiperbError):
    """REGISTER was refused (``status`` is the SIP status, 0 for a transport failure)."""

    def __init__(self, message: str, *, status: int = 0, reason: str | None = None):
        super().__init__(message, field="REGISTER", reason=reason)
        self.status = status


class Registration:
    """One binding of the UA's Contact to its AoR, kept alive until :meth:`close`."""

    def __init__(
        self,
        ua: SipStack,
        expires: int = 600,
        *,
        retry_min: float = 1.0,
        retry_max: float = 60.0,
        refresh_ratio: float = 0.5,
    ):
        self.ua = ua
        self.expires = expires
        self.requested_expires = expires
        self.retry_min = retry_min
        self.retry_max = retry_max
        self.refresh_ratio = refresh_ratio
        self.call_id = secrets.token_hex(12)
        self.from_tag = secrets.token_hex(6)
        self.cseq = 0
        self.registered = False
        self.granted: int | None = None
        self.last_status = 0
        self.failures = 0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # ---- one transaction ----

    def _request(self, expires: int) -> Message:
        ua = self.ua
        self.cseq += 1
        headers = [
            ("Via", ua.via()),
            ("Max-Forwards", "70"),
            ("From", f"{ua.local_name_addr()};tag={self.from_tag}"),
            ("To", ua.local_name_addr()),
            ("Call-ID", self.call_id),
            ("CSeq", f"{self.cseq} REGISTER"),
            ("Contact", ua.contact(register=True)),
            ("Expires", str(expires)),
            ("Allow", ua.ALLOW),
            ("Supported", "path, outbound" if ua.config.outbound else "path"),
            ("User-Agent", ua.config.user_agent),
            *ua.extra_headers("REGISTER"),
        ]
        return ua.request("REGISTER", ua.registrar_uri(), headers)

    async def _register_once(self, expires: int) -> Message:
        """One REGISTER (with its auth round trips); 423 is followed once to Min-Expires."""
        for _ in range(2):
            response = await self.ua.send_authenticated(functools.partial(self._request, expires))
            status = response.status or 0
            self.last_status = status
            if status == 423:
                min_expires = response.header("Min-Expires")
                if min_expires and min_expires.strip().isdigit():
                    expires = self.requested_expires = int(min_expires.strip())
                    continue
            return response
        return response

    def _granted(self, response: Message, asked: int) -> int:
        contact_uri = self.ua.contact_uri()
        for c in response.contact:
            same = (c.uri.user, c.uri.host, c.uri.port) == (
                contact_uri.user, contact_uri.host, contact_uri.port,
            )  # fmt: skip
            if same and c.expires is not None:
                return c.expires
        if response.expires is not None:
            return response.expires
        return asked

    async def register(self) -> Message:
        """REGISTER now; raises RegistrationError on refusal. Emits the matching event."""
        try:
            response = await self._register_once(self.requested_expires)
        except (TransportError, AuthenticationError) as exc:
            self._failed(0, str(exc))
            raise RegistrationError(f"REGISTER failed: {exc}", reason=str(exc)) from exc
        status = response.status or 0
        if 200 <= status < 300:
            self.granted = self._granted(response, self.requested_expires)
            self.registered = True
            self.failures = 0
            self.ua.events.emit(
                "registered",
                aor=self.ua.config.aor,
                contact=self.ua.contact(),
                expires=self.granted,
                status=status,
                reason=response.reason or "",
            )
            return response
        reason = response.reason or ""
        if status in (401, 407):
            reason = f"{reason} (credentials refused)"
        self._failed(status, reason)
        raise RegistrationError(f"REGISTER refused: {status} {reason}", status=status,
                                reason=reason)  # fmt: skip

    def _failed(self, status: int, reason: str) -> None:
        was = self.registered
        self.registered = False
        self.failures += 1
        self.ua.events.emit(
            "registration_failed", aor=self.ua.config.aor, status=status, reason=reason,
            was_registered=was, failures=self.failures,
        )  # fmt: skip

    # ---- the refresh loop ----

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def refresh_now(self) -> None:
        """Re-register at once (after a reconnect: the registrar may have lost the binding)."""
        self._wake.set()

    def _delay_after_failure(self) -> float:
        return float(min(self.retry_max, self.retry_min * 2 ** max(0, self.failures - 1)))

    async def _run(self) -> None:
        while True:
            try:
                await self.register()
                granted = self.granted or self.requested_expires
                delay = max(1.0, granted * self.refresh_ratio)
            except RegistrationError as exc:
                delay = self._delay_after_failure()
                log.info("registration failed (%s); retry in %.1fs", exc, delay)
            except Exception:  # never let the refresher die silently
                log.exception("registration refresh crashed")
                delay = self._delay_after_failure()
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def close(self, unregister: bool = True) -> None:
        """Stop refreshing and (by default) remove the binding with Expires: 0."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if unregister and self.registered:
            self.registered = False
            status, reason = 0, ""
            try:
                response = await self.ua.send_authenticated(lambda: self._request(0))
                status, reason = response.status or 0, response.reason or ""
            except SiperbError as exc:
                reason = str(exc)
            self.ua.events.emit(
                "unregistered", aor=self.ua.config.aor, status=status, reason=reason
            )
