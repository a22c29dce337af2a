"""The router keeps a sent INVITE (for 2xx from its other forks, RFC 3261 13.2.2.4) for 64*T1
and no longer: it is released on time even when no other INVITE follows, and kept as bytes."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from siperb import sip
from siperb.sip.router import Router
from siperb.sip.transaction import Timers
from siperb.sip.useragent import UserAgentConfig


def _invite(call_id: str, from_tag: str = "f") -> Any:
    """What the router reads of a sent INVITE's transaction: its request and its final."""
    request = sip.Request("INVITE", "sip:b@example.com", [
        ("Via", "SIP/2.0/UDP h;branch=z9hG4bK1"), ("From", f"<sip:a@example.com>;tag={from_tag}"),
        ("To", "<sip:b@example.com>"), ("Call-ID", call_id), ("CSeq", "1 INVITE"),
    ])  # fmt: skip
    final = asyncio.get_running_loop().create_future()
    return SimpleNamespace(request=request, final=final, request_bytes=lambda: bytes(request))


def _answer(tx: Any, to_tag: str) -> None:
    ok = sip.Response(200, "OK", [
        ("Via", "SIP/2.0/UDP h;branch=z9hG4bK1"), ("From", tx.request.header("From")),
        ("To", f"<sip:b@example.com>;tag={to_tag}"), ("Call-ID", tx.request.call_id),
        ("CSeq", "1 INVITE"),
    ])  # fmt: skip
    tx.final.set_result(ok)


def test_a_sent_invite_is_kept_as_bytes_and_forgotten_after_64_t1() -> None:
    """In flight the router holds the transaction; from its final only the request's bytes
    and the kept 2xx's To tag, in a native table, for 64*T1, with or without another INVITE
    after it (issue 17: as objects ~5,000 of these filled the interpreter's arenas)."""

    async def main() -> None:
        timers = Timers(t1=0.002, t2=0.01, t4=0.01)
        config = UserAgentConfig(aor="sip:a@example.com", proxy="sip:example.com", timers=timers)
        router = Router(cast(Any, SimpleNamespace(config=config)))
        tx = _invite("fork-1", "f1")
        router.note_invite(tx)
        assert router._inviting == {("fork-1", "f1"): tx} and len(router._sent_invites) == 0
        _answer(tx, "kept")
        await asyncio.sleep(0)
        assert router._inviting == {}
        kept = router._sent_invites.find("fork-1\nf1")
        assert kept is not None and kept[2] == bytes(tx.request) and kept[3] == "kept"
        await asyncio.sleep(64 * 0.002 + 0.1)
        assert len(router._sent_invites) == 0 and router._prune is None

    asyncio.run(main())


def test_an_authenticated_retry_replaces_the_challenged_invite() -> None:
    """The INVITE sent again with credentials (same Call-ID and From tag) takes the place of
    the challenged one, whose final (the 407) no longer counts."""

    async def main() -> None:
        timers = Timers(t1=0.01, t2=0.04, t4=0.04)  # 64*T1 = 0.64 s
        config = UserAgentConfig(aor="sip:a@example.com", proxy="sip:example.com", timers=timers)
        router = Router(cast(Any, SimpleNamespace(config=config)))
        first, retry = _invite("retried"), _invite("retried")
        router.note_invite(first)
        first.final.set_exception(TimeoutError())  # stands for the 407
        await asyncio.sleep(0)
        assert len(router._sent_invites) == 1
        router.note_invite(retry)
        assert router._inviting == {("retried", "f"): retry} and len(router._sent_invites) == 0
        _answer(retry, "t2")
        await asyncio.sleep(0)
        found = router._sent_invites.find("retried\nf")
        assert found is not None and found[3] == "t2"
        await asyncio.sleep(0.4)
        router._prune_forks()  # early: nothing is old enough yet
        assert len(router._sent_invites) == 1
        await asyncio.sleep(0.35)
        assert len(router._sent_invites) == 0

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
