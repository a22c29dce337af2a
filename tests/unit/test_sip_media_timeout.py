"""The call's side of the media-inactivity timeout (issue 17): the engine's ``timeout`` event
ends an established call that is not on hold, after the full timeout counted from its answer
or its last resume, unless RTP came back (``rtp_resumed``) meanwhile. The end-to-end check
with a vanishing baresip is tests/integration/test_ua_faults.py."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from siperb.events import EventHub
from siperb.sip.session import CallState, Outcome
from siperb.sip.session.close import CloseMixin

T = 0.2


class Call(CloseMixin):
    """Only what CloseMixin's media timeout reads; ``_bye`` records instead of sending."""

    def __init__(self, timeout: float | None = T) -> None:
        self.hub = EventHub()
        self.ua: Any = SimpleNamespace(config=SimpleNamespace(media_timeout=timeout),
                                       events=self.hub, spawn=asyncio.ensure_future)  # fmt: skip
        self.state = CallState.ESTABLISHED
        self.local_hold = self.remote_hold = False
        self._media_timer = None
        self._media_silent = False
        self._media_since = asyncio.get_running_loop().time()
        self.byes: list[tuple[Outcome, str, float]] = []

    async def _bye(self, outcome: Outcome, status: int, reason: str) -> None:
        self.byes.append((outcome, reason, asyncio.get_running_loop().time()))
        self.state = CallState.TERMINATED


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_silence_on_an_established_call_ends_it_with_a_reason() -> None:
    async def main() -> None:
        call = Call()
        seen = []
        call.hub.on("media_timeout", seen.append)
        await asyncio.sleep(T)  # the engine reports after the timeout
        call.media_inactive()
        await asyncio.sleep(0.01)
        assert [(o, r) for o, r, _ in call.byes] == [(Outcome.MEDIA_TIMEOUT, "no RTP for 0.2 s")]
        assert len(seen) == 1 and seen[0]["seconds"] == T

    run(main())


def test_on_hold_either_way_it_is_left_alone() -> None:
    async def main() -> None:
        for side in ("local_hold", "remote_hold"):
            call = Call()
            setattr(call, side, True)
            await asyncio.sleep(T)
            call.media_inactive()
            await asyncio.sleep(T * 2)
            assert call.byes == [], side

    run(main())


def test_after_a_resume_the_timeout_counts_from_the_resume() -> None:
    async def main() -> None:
        call = Call()
        call.local_hold = True
        await asyncio.sleep(T * 2)  # a long hold: the engine's last RTP is old
        call.local_hold = False
        resumed = asyncio.get_running_loop().time()
        call.media_expected()
        call.media_inactive()  # the engine re-arms at once on resume (stale last RTP)
        await asyncio.sleep(T / 2)
        assert call.byes == []  # not at once
        await asyncio.sleep(T)
        assert len(call.byes) == 1 and call.byes[0][2] - resumed >= T - 0.01

    run(main())


def test_rtp_coming_back_in_time_keeps_the_call() -> None:
    async def main() -> None:
        call = Call()
        call.media_expected()
        call.media_inactive()
        await asyncio.sleep(T / 2)
        call.media_active()  # rtp_resumed
        await asyncio.sleep(T)
        assert call.byes == []

    run(main())


def test_off_when_not_configured_or_not_established() -> None:
    async def main() -> None:
        off = Call(timeout=None)
        ringing = Call()
        ringing.state = CallState.RINGING
        await asyncio.sleep(T)
        off.media_inactive()
        ringing.media_inactive()
        await asyncio.sleep(T)
        assert off.byes == [] and ringing.byes == []

    run(main())
