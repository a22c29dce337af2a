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
        final = asyncio.get_running_loop().create_future()
        router.note_invite(cast(Any, SimpleNamespace(request=request, final=final)))
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
            ]), final=asyncio.get_running_loop().create_future())  # fmt: skip

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


def test_an_unanswered_bye_to_another_fork_is_logged_not_raised(caplog: Any) -> None:
    """Found in the soak: a late 2xx taken for another fork's got a BYE nobody answered, and
    its timeout escaped as a "background task failed" traceback."""
    from siperb.sip import router as router_mod
    from siperb.sip.dialog import Dialog
    from siperb.sip.transaction import TransactionTimeout

    async def main() -> None:
        async def unanswered(build: Any) -> Any:
            build()
            raise TransactionTimeout("no final response to BYE after 32s", field="BYE")

        config = UserAgentConfig(aor="sip:a@example.com", proxy="sip:example.com")
        host = SimpleNamespace(config=config, send_authenticated=unanswered,
                               via=lambda: "SIP/2.0/UDP h;branch=z9hG4bK2")  # fmt: skip
        request = sip.Request("INVITE", "sip:b@example.com", [
            ("Via", "SIP/2.0/UDP h;branch=z9hG4bK1"), ("From", "<sip:a@example.com>;tag=f"),
            ("To", "<sip:b@example.com>"), ("Call-ID", "c"), ("CSeq", "1 INVITE"),
            ("Contact", "<sip:a@h>"),
        ])  # fmt: skip
        response = sip.parse(
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
            b"From: <sip:a@example.com>;tag=f\r\nTo: <sip:b@example.com>;tag=t2\r\n"
            b"Call-ID: c\r\nCSeq: 1 INVITE\r\nContact: <sip:b@h2>\r\nContent-Length: 0\r\n\r\n"
        )
        dialog = Dialog.as_uac(request, response)
        await router_mod._bye_fork(cast(Any, host), dialog, [])

    with caplog.at_level("INFO", logger="siperb.sip.ua"):
        asyncio.run(main())
    assert "BYE to another fork failed" in caplog.text
