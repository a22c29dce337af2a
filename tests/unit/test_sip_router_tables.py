"""The router keeps a sent INVITE (for 2xx from its other forks, RFC 3261 13.2.2.4) for 64*T1
and no longer: it is released on time even when no other INVITE follows."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from siperb import sip
from siperb.sip.router import Router
from siperb.sip.transaction import Timers
from siperb.sip.useragent import UserAgentConfig


def test_a_sent_invite_is_forgotten_after_64_t1_without_another_invite() -> None:
    async def main() -> None:
        timers = Timers(t1=0.002, t2=0.01, t4=0.01)
        config = UserAgentConfig(aor="sip:a@example.com", proxy="sip:example.com", timers=timers)
        host = SimpleNamespace(config=config)
        router = Router(cast(Any, host))
        request = sip.Request("INVITE", "sip:b@example.com", [
            ("Via", "SIP/2.0/UDP h;branch=z9hG4bK1"), ("From", "<sip:a@example.com>;tag=f1"),
            ("To", "<sip:b@example.com>"), ("Call-ID", "fork-1"), ("CSeq", "1 INVITE"),
        ])  # fmt: skip
        router.note_invite(cast(Any, SimpleNamespace(request=request)))
        assert ("fork-1", "f1") in router._sent_invites
        await asyncio.sleep(64 * 0.002 + 0.1)
        assert router._sent_invites == {}

    asyncio.run(main())
