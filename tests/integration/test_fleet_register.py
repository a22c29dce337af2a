"""A worker that registers as one more Contact of an account (``register=True``) instead of
sitting in Kamailio's dispatcher list: the registrar routes the account's calls to it, and its
drain unregisters it (the Contact is gone before the process exits)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest

from peers.kamailio import ACCOUNTS, DOMAIN, Kamailio
from peers.sipp import UAC_CALL, Sipp
from siperb.media import engine_available
from siperb.serve import HandlerCall, ServeWorker, WorkerConfig

pytestmark = [pytest.mark.integration]


async def answer_and_wait(call: HandlerCall) -> None:
    await call.answer()
    call.annotations["answered"] = True
    await call.wait_ended(timeout=30.0)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not engine_available(), reason="media engine not built")
def test_registered_worker_takes_the_accounts_calls_and_unregisters_on_drain(
    kamailio: Kamailio, sipp_factory: Callable[..., Sipp]
) -> None:
    user = "1004"
    kamailio.unregister(user)
    port = _free_udp_port()
    seen: dict[str, Any] = {}

    async def main() -> None:
        cfg = WorkerConfig(
            answer_and_wait,
            proxy=f"127.0.0.1:{kamailio.ports.sip}",
            listen_port=port,
            user=user,
            domain=DOMAIN,
            password=ACCOUNTS[user],
            register=True,
            history=":memory:",
        )
        async with ServeWorker(cfg) as worker:
            contacts = await asyncio.to_thread(kamailio.wait_registered, user)
            seen["contacts"] = contacts
            remote = f"127.0.0.1:{kamailio.ports.sip}"
            sipp = sipp_factory(UAC_CALL, remote=remote, service=user, calls=2, rate=10,
                                pause_ms=500, keys={"domain": DOMAIN})  # fmt: skip
            result = await asyncio.to_thread(sipp.wait, 30)
            seen["sipp"] = (result.ok, result.count("SuccessfulCall"))
            seen["setup"] = worker.metrics.calls_setup
            assert await worker.drain(10.0)
        seen["after"] = await asyncio.to_thread(kamailio.contacts, user)

    asyncio.run(asyncio.wait_for(main(), 60.0))
    assert any(f":{port}" in c for c in seen["contacts"]), seen
    assert seen["sipp"] == (True, 2) and seen["setup"] == 2, seen
    assert seen["after"] == [], seen  # drain + close unregistered the Contact


@pytest.mark.skipif(not engine_available(), reason="media engine not built")
def test_handler_blind_transfer_moves_the_caller_to_another_worker(kamailio: Kamailio) -> None:
    """Three workers through Kamailio: a campaign worker calls user 1002 (a registered bot
    worker), whose handler transfers the call (REFER) to user 1003 (another registered worker);
    the caller follows the REFER (its handler runs on that new call too) and 1003's handler
    answers it."""
    bot_user, target_user = "1002", "1003"
    for u in (bot_user, target_user):
        kamailio.unregister(u)
    proxy = f"127.0.0.1:{kamailio.ports.sip}"
    seen: dict[str, Any] = {}

    async def bot(call: HandlerCall) -> None:
        await call.answer()
        await call.next_state(timeout=10.0)  # established
        seen["refer_status"] = await call.transfer(f"sip:{target_user}@{DOMAIN}")
        await call.hangup()  # the transferor leaves once the target answered

    async def target(call: HandlerCall) -> None:
        seen["target_got"] = call.remote_uri
        await call.answer()
        await call.wait_ended(timeout=20.0)

    async def caller(call: HandlerCall) -> None:
        await call.wait_ended(timeout=20.0)  # the first call ends when the transfer succeeds

    def cfg(handler: Any, user: str | None) -> WorkerConfig:
        extra: dict[str, Any] = {}
        if user is not None:
            extra = {"user": user, "domain": DOMAIN, "password": ACCOUNTS[user], "register": True}
        return WorkerConfig(handler, proxy=proxy, listen_port=_free_udp_port(),
                            history=":memory:", **extra)  # fmt: skip

    async def main() -> None:
        async with (
            ServeWorker(cfg(bot, bot_user)) as b,
            ServeWorker(cfg(target, target_user)) as t,
            ServeWorker(cfg(caller, None)) as a,
        ):
            for u in (bot_user, target_user):
                await asyncio.to_thread(kamailio.wait_registered, u)
            hc = await a.dial(f"sip:{bot_user}@{DOMAIN}")
            await hc.wait_ended(timeout=20.0)
            for _ in range(100):  # the transferred call reaches the target worker
                if t.metrics.calls_setup:
                    break
                await asyncio.sleep(0.1)
            seen["b_setup"], seen["t_setup"] = b.metrics.calls_setup, t.metrics.calls_setup
            seen["a_calls"] = (a.metrics.calls_total, a.metrics.calls_setup)
            assert a.phone is not None
            for c in list(a.phone.calls):
                await c.hangup()

    asyncio.run(asyncio.wait_for(main(), 60.0))
    assert seen.get("refer_status") == 200, seen
    assert seen["b_setup"] == 1 and seen["t_setup"] == 1, seen
    assert seen["a_calls"] == (2, 2), seen  # the call made by following the REFER is handled too
    assert seen["target_got"].startswith("sip:siperb@"), seen
