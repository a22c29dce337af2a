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


def test_pruning_keeps_the_young_invites_and_an_authenticated_retry() -> None:
    """The tables are pruned from their oldest end (no scan of every call in progress: that
    scan was on the soak's profile at 500 concurrent calls); an INVITE sent again with
    credentials (same Call-ID and From tag) moves to the young end, so it is kept its full
    64*T1 and does not hold back the pruning of those after it."""

    async def main() -> None:
        timers = Timers(t1=0.01, t2=0.04, t4=0.04)  # 64*T1 = 0.64 s
        config = UserAgentConfig(aor="sip:a@example.com", proxy="sip:example.com", timers=timers)
        router = Router(cast(Any, SimpleNamespace(config=config)))

        def invite(call_id: str) -> Any:
            return SimpleNamespace(request=sip.Request("INVITE", "sip:b@example.com", [
                ("Via", "SIP/2.0/UDP h;branch=z9hG4bK1"), ("From", "<sip:a@example.com>;tag=f"),
                ("To", "<sip:b@example.com>"), ("Call-ID", call_id), ("CSeq", "1 INVITE"),
            ]))  # fmt: skip

        router.note_invite(invite("retried"))
        router.note_invite(invite("old"))
        await asyncio.sleep(0.4)
        router.note_invite(invite("retried"))  # with credentials, 0.4 s later
        router.note_invite(invite("young"))
        await asyncio.sleep(0.35)  # "old" is 0.75 s old, the others 0.35 s
        router._prune_forks()
        assert list(router._sent_invites) == [("retried", "f"), ("young", "f")]
        await asyncio.sleep(0.4)
        router._prune_forks()
        assert router._sent_invites == {}

    asyncio.run(main())
