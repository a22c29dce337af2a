"""The media-inactivity timeout as a phone user sees it (issue 17): a far end that answers and
then sends no RTP (the loopback service's peer with SDP-only media) ends the call after the
configured ``media_timeout`` (``user_agent_options``): a ``media_timeout`` event, the call's
outcome and reason, and a history row ended by us whose CDR Events hold the timeout."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import siperb
from siperb.demo import LoopbackService, manual_provisioning
from siperb.events import Event
from siperb.media import SdpOnlyMedia, engine_available
from siperb.phone.history import MEMORY
from siperb.sip.session import Outcome

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not engine_available(), reason="siperb._core built without the engine"),
]


@pytest.mark.timeout(40)
def test_a_silent_far_end_is_hung_up_with_a_reason_in_the_event_and_the_history() -> None:
    def silent(ua: Any) -> SdpOnlyMedia:  # answers, never sends RTP
        return SdpOnlyMedia(ua.media_host())

    async def main() -> None:
        async with LoopbackService(media_factory=silent) as svc:
            phone = await siperb.ProvisionPhone(
                {"Provisioning": manual_provisioning(svc.port), "PhoneFrame": None,
                 "ProfileUserId": "mt", "SessionId": "s", "UserId": "u", "Language": "en"},
                history_path=MEMORY, user_agent_options={"media_timeout": 1.0},
            )  # fmt: skip
            async with phone:
                seen: list[Event] = []
                phone.on("media_timeout", seen.append)
                call = await phone.dial("echo")
                await call.wait_for("established", timeout=10)
                record = await call.wait_ended(10)
                assert call.outcome is Outcome.MEDIA_TIMEOUT
                assert call.reason == "no RTP for 1 s"
                assert len(seen) == 1 and seen[0]["call"] is call and seen[0]["seconds"] == 1.0
                assert record is not None and record.hangup_by == "local"
                assert record.outcome == "answered"
                assert "media_timeout" in [e["name"] for e in record.events], record.events

    asyncio.run(main())
