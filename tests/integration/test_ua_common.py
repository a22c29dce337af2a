"""Helpers shared by the UserAgent integration tests (imported by the other test_ua_* files),
plus the checks that need nothing but Kamailio and a raw socket."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from peers.kamailio import DOMAIN, Kamailio
from siperb import sip
from siperb.events import Event
from siperb.media import media_factory
from siperb.sip.session import CallState, InviteSession, Outcome
from siperb.sip.transaction import Timers
from siperb.sip.useragent import UserAgent, UserAgentConfig

pytestmark = pytest.mark.integration

T = TypeVar("T")
FAST = Timers(t1=0.1, t2=1.0, t4=1.0)


def run(coro: Awaitable[T], timeout: float = 40.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))  # type: ignore[arg-type]


def config(kam: Kamailio, user: str, transport: str = "udp", host: str = "127.0.0.1",
           **kw: Any) -> UserAgentConfig:  # fmt: skip
    if transport in ("ws", "wss"):
        proxy = kam.ws_url(secure=transport == "wss", host=host)
    else:
        proxy = kam.uri(transport, host)
    kw.setdefault("password", kam.accounts[user])
    kw.setdefault("timers", FAST)
    kw.setdefault("tls_ca_file", str(kam.cert))
    kw.setdefault("media_factory", media_factory())
    return UserAgentConfig(aor=f"sip:{user}@{DOMAIN}", proxy=proxy, **kw)


class Recorder:
    """Collects a UA's events and lets a test wait for one."""

    def __init__(self, ua: UserAgent) -> None:
        self.events: list[Event] = []
        self._cond = asyncio.Condition()
        ua.events.on("*", self._on)

    def _on(self, ev: Event) -> None:
        self.events.append(ev)

        async def wake() -> None:
            async with self._cond:
                self._cond.notify_all()

        asyncio.get_running_loop().create_task(wake())

    def names(self) -> list[str]:
        return [e.name for e in self.events]

    async def wait(self, name: str, timeout: float = 10.0,
                   where: Callable[[Event], bool] = lambda e: True) -> Event:  # fmt: skip
        async def found() -> Event:
            async with self._cond:
                while True:
                    for e in self.events:
                        if e.name == name and where(e):
                            return e
                    await self._cond.wait()

        try:
            return await asyncio.wait_for(found(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"no {name} event; seen {self.names()}") from None


async def started(kam: Kamailio, user: str, transport: str = "udp", host: str = "127.0.0.1",
                  **kw: Any) -> tuple[UserAgent, Recorder]:  # fmt: skip
    ua = UserAgent(config(kam, user, transport, host, **kw))
    rec = Recorder(ua)
    await ua.start()
    return ua, rec


async def incoming(rec: Recorder, timeout: float = 10.0) -> InviteSession:
    ev = await rec.wait("incoming_call", timeout)
    call: InviteSession = ev["call"]
    return call


async def blocking(fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    """Run a blocking peer-harness call (baresip ctrl_tcp) off the event loop."""
    return await asyncio.to_thread(fn, *args, **kw)


# --- tests that need only Kamailio -------------------------------------------------------------


def _raw(ua: UserAgent, text: str) -> bytes:
    assert ua.flow is not None
    local = ua.flow.local
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(3)
        s.sendto(text.replace("\n", "\r\n").encode(), (local.host, local.port))
        return s.recv(65535)


def _headers(port: int, extra: str = "", cseq: str = "1 OPTIONS", to_tag: str = "") -> str:
    return (
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{uuid.uuid4().hex}\n"
        "From: <sip:raw@127.0.0.1>;tag=r1\n"
        f"To: <sip:1000@{DOMAIN}>{to_tag}\n"
        f"Call-ID: {uuid.uuid4().hex}\n"
        f"CSeq: {cseq}\n{extra}Content-Length: 0\n\n"
    )


@pytest.mark.timeout(30)
def test_malformed_requests_get_400_and_the_ua_survives(kamailio: Kamailio) -> None:
    async def main() -> None:
        ua, _ = await started(kamailio, "1000")
        try:
            reply = await asyncio.to_thread(
                _raw, ua, "OPTIONS sip:1000@127.0.0.1 SIP/2.0\n" + _headers(1, "Max-Forwards: x\n")
            )
            status = sip.parse(reply)
            assert status.status == 400
            assert "max-forwards" in (status.reason or "").lower() or status.reason, status.reason
            bad_cseq = _headers(1, cseq="one OPTIONS")
            reply = await asyncio.to_thread(_raw, ua, "OPTIONS sip:1000@x SIP/2.0\n" + bad_cseq)
            assert sip.parse(reply).status == 400
            # Still alive: a good OPTIONS is answered with our capabilities.
            reply = await asyncio.to_thread(_raw, ua, "OPTIONS sip:1000@x SIP/2.0\n" + _headers(1))
            ok = sip.parse(reply)
            assert ok.status == 200 and "INVITE" in ok.allow and "replaces" in ok.supported
            # An in-dialog request for a dialog we do not have: 481.
            bye = _headers(1, cseq="2 BYE", to_tag=";tag=nosuch")
            reply = await asyncio.to_thread(_raw, ua, "BYE sip:1000@x SIP/2.0\n" + bye)
            assert sip.parse(reply).status == 481
            # And the UA still works end to end through the proxy.
            assert (await ua.options()).status == 200
        finally:
            await ua.close()

    run(main())


@pytest.mark.timeout(30)
def test_message_between_two_uas_and_info_dtmf(kamailio: Kamailio) -> None:
    async def main() -> None:
        a, _ = await started(kamailio, "1000", "tcp")
        b, brec = await started(kamailio, "1001", "ws")
        try:
            resp = await a.send_message("1001", "hello ws")
            assert resp.status == 200
            msg = await brec.wait("message")
            assert msg["text"] == "hello ws"
            call = await a.call("1001")
            inbound = await incoming(brec)
            await inbound.answer()
            await call.wait_for(CallState.ESTABLISHED, timeout=10)
            await call.send_dtmf("19#")
            await brec.wait("dtmf", where=lambda e: e["digit"] == "#")
            assert inbound.dtmf_received == ["1", "9", "#"]
            await call.hangup()
            await inbound.wait_for(CallState.TERMINATED, timeout=10)
            assert inbound.outcome is Outcome.COMPLETED
        finally:
            await a.close()
            await b.close()

    run(main())
