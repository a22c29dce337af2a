"""Faults a user meets (issue 17): the far end vanishing mid-call (baresip killed with SIGKILL:
no BYE, no more RTP) ends the call after ``media_timeout`` with outcome ``media_timeout``, a
reason and a ``media_timeout`` event, while a call whose RTP flows, or that is on hold, or was
just resumed, is left alone; a registrar restart over every transport is noticed and the
phone registers again; a WebSocket cut mid-call reconnects and the call goes on."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_ua_common import blocking, run, started

from peers.baresip import CALL_ESTABLISHED, Baresip
from peers.kamailio import Kamailio, start_kamailio
from siperb.sip.session import CallState, Outcome

pytestmark = pytest.mark.integration

Factory = Callable[..., Baresip]
TIMEOUT = 2.0  # the media_timeout under test (seconds)


@pytest.mark.timeout(60)
def test_far_end_vanishing_mid_call_ends_it_by_the_media_timeout(
    kamailio: Kamailio, baresip_factory: Factory
) -> None:
    bob = baresip_factory("1001", answermode="auto", audio_source="ausine,1000",
                          audio_codecs="PCMU")  # fmt: skip

    async def main() -> None:
        ua, rec = await started(kamailio, "1000", media_timeout=TIMEOUT)
        try:
            call = await ua.call("1001")
            assert await call.wait_for(CallState.ESTABLISHED, timeout=10) is CallState.ESTABLISHED
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            # RTP flows: the call outlives the timeout.
            await asyncio.sleep(TIMEOUT * 2)
            assert call.state is CallState.ESTABLISHED and "media_timeout" not in rec.names()
            os.kill(bob.process.pid, signal.SIGKILL)  # vanishes: no BYE, no RTP
            killed = time.monotonic()
            outcome = await asyncio.wait_for(asyncio.shield(call.ended), TIMEOUT + 8)
            waited = time.monotonic() - killed
            assert outcome is Outcome.MEDIA_TIMEOUT
            assert call.reason == f"no RTP for {TIMEOUT:g} s"
            assert TIMEOUT - 0.2 <= waited <= TIMEOUT + 6, waited
            ev = await rec.wait("media_timeout", 1)
            assert ev["call"] is call and ev["seconds"] == TIMEOUT
            assert call not in ua.calls  # released at once
        finally:
            await ua.close()

    run(main(), 50)


@pytest.mark.timeout(60)
def test_hold_and_resume_are_not_taken_for_a_vanished_far_end(
    kamailio: Kamailio, baresip_factory: Factory
) -> None:
    bob = baresip_factory("1001", answermode="auto", audio_source="ausine,1000",
                          audio_codecs="PCMU")  # fmt: skip

    async def main() -> None:
        ua, rec = await started(kamailio, "1000", media_timeout=TIMEOUT)
        try:
            call = await ua.call("1001")
            assert await call.wait_for(CallState.ESTABLISHED, timeout=10) is CallState.ESTABLISHED
            await blocking(bob.await_event, CALL_ESTABLISHED, 10)
            response = await call.hold(inactive=True)  # no RTP either way while held
            assert response.status == 200 and call.local_hold
            await asyncio.sleep(TIMEOUT * 2)
            assert call.state is CallState.ESTABLISHED, call.reason
            response = await call.resume()
            assert response.status == 200 and not call.local_hold
            # Resumed: the timeout counts from the resume, and RTP comes back.
            await asyncio.sleep(TIMEOUT * 2)
            assert call.state is CallState.ESTABLISHED, call.reason
            assert "media_timeout" not in rec.names()
            await call.hangup()
            assert call.outcome is Outcome.COMPLETED
        finally:
            await ua.close()

    run(main(), 50)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("transport", ["udp", "tcp", "tls", "ws", "wss"])
def test_registrar_restart_is_noticed_and_the_phone_registers_again(
    tmp_path: Path, transport: str
) -> None:
    """Kamailio restarted (its registrations are in memory: all lost): over UDP the STUN
    keep-alives go unanswered (transport lost) and their answer again triggers a REGISTER;
    over TCP/TLS/WS/WSS the connection drops and the reconnect registers again. The user
    sees transport lost, then connected and registered."""
    kam = start_kamailio(tmp_path / "kam", ipv6=False)
    try:

        async def main() -> None:
            nonlocal kam
            ua, rec = await started(kam, "1005", transport, udp_keepalive_interval=0.3,
                                    keepalive_interval=0.5, pong_timeout=0.5,
                                    reconnect_min=0.2, reconnect_max=1.0)  # fmt: skip
            try:
                await rec.wait("registered")
                t0 = time.monotonic()
                while transport == "udp" and not ua.keepalive.answered:  # the proxy speaks STUN
                    assert time.monotonic() - t0 < 5
                    await asyncio.sleep(0.05)
                before = await asyncio.to_thread(kam.bindings, "1005")
                assert before, "registered before the restart"
                kam.stop()
                lost = await rec.wait("transport", 10, lambda e: e["state"] == "lost")
                assert lost["kind"] == transport.upper()
                kam = await asyncio.to_thread(start_kamailio, tmp_path / "kam", ports=kam.ports,
                                              ipv6=False)  # fmt: skip
                # The restarted registrar kept nothing: any binding it holds already was
                # stored by a REGISTER sent after the restart (keep-alives every 0.3 s), not
                # by the one before. (The query runs in a thread: while it blocked the loop,
                # a 200 for that REGISTER could not be read, and "registered" lagged behind.)
                held = await asyncio.to_thread(kam.bindings, "1005")
                assert not set(held) & set(before), (before, held)
                t0 = time.monotonic()
                while rec.names().count("registered") < 2:
                    assert time.monotonic() - t0 < 20, rec.names()
                    await asyncio.sleep(0.05)
                assert kam.contacts("1005"), "registered again after the restart"
                # A stream transport came back through a new connection; UDP needs none.
                if transport == "udp":
                    assert ua.reconnects == 0
                else:
                    assert ua.reconnects >= 1
                after = rec.names()[rec.names().index("transport") :]
                assert "registered" in after
                assert any(e.name == "transport" and e["state"] == "connected"
                           for e in rec.events[rec.events.index(lost):])  # fmt: skip
            finally:
                await ua.close()

        run(main(), 80)
    finally:
        kam.stop()


@pytest.mark.timeout(60)
def test_websocket_dropped_mid_call_reconnects_and_the_call_goes_on(
    kamailio: Kamailio,
) -> None:
    """The WebSocket under an established call is cut (TCP aborted): the user sees transport
    lost, connected and registered again; the call's RTP never went over the WebSocket, so the
    call stays established, and its BYE goes out over the new connection."""

    async def main() -> None:
        bob, bob_rec = await started(kamailio, "1001", "udp", auto_answer=lambda call: True)
        ua, rec = await started(kamailio, "1000", "ws", reconnect_min=0.2, reconnect_max=1.0)
        try:
            call = await ua.call("1001")
            assert await call.wait_for(CallState.ESTABLISHED, timeout=10) is CallState.ESTABLISHED
            theirs = (await bob_rec.wait("incoming_call"))["call"]
            flow = ua.flow
            assert flow is not None
            flow._ws.transport.abort()  # type: ignore[attr-defined]  # the network cut
            await rec.wait("transport", 10, lambda e: e["state"] == "lost")
            await rec.wait("transport", 10, lambda e: e["state"] == "connected")
            t0 = time.monotonic()
            while rec.names().count("registered") < 2:
                assert time.monotonic() - t0 < 10, rec.names()
                await asyncio.sleep(0.05)
            assert ua.flow is not flow and call.state is CallState.ESTABLISHED
            await call.hangup()
            assert call.outcome is Outcome.COMPLETED
            await asyncio.wait_for(asyncio.shield(theirs.ended), 10)
            assert theirs.outcome is Outcome.COMPLETED  # our BYE reached the far end
        finally:
            await ua.close()
            await bob.close()

    run(main(), 50)
