"""Faults a user meets mid-call (issue 17): the far end vanishing (baresip killed with
SIGKILL: no BYE, no more RTP) ends the call after ``media_timeout`` with outcome
``media_timeout``, a reason and a ``media_timeout`` event, while a call whose RTP flows, or
that is on hold, or was just resumed, is left alone."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable

import pytest
from test_ua_common import blocking, run, started

from peers.baresip import CALL_ESTABLISHED, Baresip
from peers.kamailio import Kamailio
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
