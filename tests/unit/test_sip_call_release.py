"""An ended call is released at once (issue 17, the soak's memory): the INVITE's client
transaction and the router's fork table keep the request for 64*T1 after the final response
(RFC 6026 timer M, RFC 3261 13.2.2.4), but not the call: before, the transaction kept the
call's provisional-response callback, so every outgoing call (its media handler, both SDPs,
its engine session wrapper) stayed alive for 32 s after it ended (the soak's sequential phase
grew ~50 KB a call)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest
from test_sip_transaction import Side, request, wait_until, with_pair

from siperb.media import SdpOnlyMedia
from siperb.sdp import Codec
from siperb.sip.session import CallState, Outcome
from siperb.sip.transaction import Timers, TransactionLayer
from siperb.sip.useragent import UserAgent, UserAgentConfig


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


class Owner:
    """Stands for the call: the transaction gets its bound method."""

    def __init__(self) -> None:
        self.provisional: list[int] = []

    def on_provisional(self, response: Any) -> None:
        self.provisional.append(response.status or 0)


def lingering(layer: TransactionLayer) -> int:
    return layer.pending


@with_pair
async def test_a_2xx_answered_invite_transaction_lets_go_of_its_callback(a: Side, b: Side) -> None:
    owner = Owner()
    ref = weakref.ref(owner)
    tx = a.layer.start_client(request("INVITE", b.udp.local), a.flow_to(b), owner.on_provisional)
    await wait_until(lambda: b.requests)
    stx = b.requests[0][1]
    stx.respond(180, "Ringing", to_tag="srv")
    stx.respond(200, "OK", to_tag="srv")
    assert (await asyncio.wait_for(tx.final, 1)).status == 200
    assert owner.provisional == [180]
    del owner
    gc.collect()
    assert lingering(a.layer) == 1, "timer M keeps the transaction (RFC 6026)"
    assert ref() is None, "an Accepted transaction must not keep the call alive"


@with_pair
async def test_a_refused_invite_transaction_lets_go_of_its_callback(a: Side, b: Side) -> None:
    owner = Owner()
    ref = weakref.ref(owner)
    tx = a.layer.start_client(request("INVITE", b.udp.local), a.flow_to(b), owner.on_provisional)
    await wait_until(lambda: b.requests)
    b.requests[0][1].respond(486, "Busy Here", to_tag="srv")
    assert (await asyncio.wait_for(tx.final, 1)).status == 486
    del owner
    gc.collect()
    assert lingering(a.layer) == 1, "timer D keeps the transaction"
    assert ref() is None


def test_an_ended_outgoing_call_is_garbage_while_its_transactions_linger() -> None:
    slow = Timers(t1=0.5)  # 64*T1 = 32 s: far longer than the test

    def config(user: str, proxy: str) -> UserAgentConfig:
        return UserAgentConfig(
            aor=f"sip:{user}@127.0.0.1", proxy=proxy, timers=slow, udp_keepalive_interval=None,
            media_factory=lambda ua: SdpOnlyMedia(ua.media_host()), auto_answer=lambda c: True,
        )  # fmt: skip

    async def main() -> None:
        callee = UserAgent(config("bob", "sip:127.0.0.1:9;transport=udp"))
        await callee.start(register=False)
        port = callee.local_endpoint().port
        caller = UserAgent(config("alice", f"sip:127.0.0.1:{port};transport=udp"))
        await caller.start(register=False)
        try:
            call = await caller.call(f"sip:bob@127.0.0.1:{port}")
            assert await call.wait_for(CallState.ESTABLISHED, timeout=5) is CallState.ESTABLISHED
            await call.hangup()
            assert call.outcome is Outcome.COMPLETED
            refs = [weakref.ref(call), weakref.ref(call.media)]
            del call
            await asyncio.sleep(0.05)
            gc.collect()
            assert caller.layer is not None and lingering(caller.layer) >= 1
            assert caller.router._sent_invites, "the fork table still has the INVITE"
            assert [r() for r in refs] == [None, None], "the ended call is still referenced"
        finally:
            await caller.close()
            await callee.close()

    run(main())


def test_ended_calls_with_audio_are_freed_without_the_cycle_collector() -> None:
    """Both sides' calls, media handlers and engine sessions go as soon as the call ends, by
    reference counting alone: no reference cycle holds them (and the native session, ~115 KB)
    until a full collection. The soak's concurrent phase grew ~24 MB per 100 calls for a
    minute before; the cycles were call <-> media, media -> session -> handlers -> media and
    the self-scheduling 2xx retransmission closure of the answering side."""
    pytest.importorskip("siperb._core")
    from siperb.media import EngineMedia, engine_available

    if not engine_available():
        pytest.skip("built without the media engine")

    def config(user: str, proxy: str) -> UserAgentConfig:
        return UserAgentConfig(
            aor=f"sip:{user}@127.0.0.1", proxy=proxy, udp_keepalive_interval=None,
            media_factory=lambda ua: EngineMedia(ua.media_host(), [Codec.pcmu()]),
            auto_answer=lambda c: True,
        )  # fmt: skip

    async def main() -> None:
        callee = UserAgent(config("bob", "sip:127.0.0.1:9;transport=udp"))
        await callee.start(register=False)
        port = callee.local_endpoint().port
        caller = UserAgent(config("alice", f"sip:127.0.0.1:{port};transport=udp"))
        await caller.start(register=False)
        answered: list[Any] = []
        callee.events.on("incoming_call", lambda e: answered.append(e["call"]))
        try:
            gc.collect()
            gc.disable()
            call = await caller.call(f"sip:bob@127.0.0.1:{port}")
            assert await call.wait_for(CallState.ESTABLISHED, timeout=5) is CallState.ESTABLISHED
            await wait_until(lambda: answered and answered[0].state is CallState.ESTABLISHED)
            media = [call.media, answered[0].media]
            refs = [weakref.ref(o) for o in (call, answered[0], *media)]
            refs += [weakref.ref(m.session) for m in media]
            await call.hangup()
            await wait_until(lambda: answered[0].state is CallState.TERMINATED)
            del call, media
            answered.clear()
            await wait_until(lambda: all(r() is None for r in refs), timeout=2.0)
        finally:
            gc.enable()
            await caller.close()
            await callee.close()

    run(main())
