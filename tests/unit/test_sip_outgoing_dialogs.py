"""Our own calls count against the dialog table's bound (issue 17): past ``max_dialogs`` (our
confirmed dialogs plus our calls still without one) ``UserAgent.call`` refuses with a
TransportError naming ``max_dialogs``, counted in ``dialogs_refused``; an ended call frees
its place. Before, only inbound INVITEs were refused and our calls grew the table freely."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from siperb.errors import TransportError
from siperb.media import SdpOnlyMedia
from siperb.sip.session import CallState
from siperb.sip.useragent import UserAgent, UserAgentConfig


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_our_calls_past_max_dialogs_are_refused_with_a_clear_error() -> None:
    def config(user: str, proxy: str, **kw: Any) -> UserAgentConfig:
        return UserAgentConfig(
            aor=f"sip:{user}@127.0.0.1", proxy=proxy, udp_keepalive_interval=None,
            media_factory=lambda ua: SdpOnlyMedia(ua.media_host()), **kw,
        )  # fmt: skip

    async def main() -> None:
        callee = UserAgent(config("bob", "sip:127.0.0.1:9;transport=udp", max_calls=10,
                                  max_ringing_calls=10, auto_answer=lambda c: True))  # fmt: skip
        await callee.start(register=False)
        port = callee.local_endpoint().port
        caller = UserAgent(config("alice", f"sip:127.0.0.1:{port};transport=udp", max_dialogs=2))
        await caller.start(register=False)
        target = f"sip:bob@127.0.0.1:{port}"
        try:
            first = await caller.call(target)  # ringing: no dialog yet, but it will have one
            second = await caller.call(target)
            with pytest.raises(TransportError) as refused:
                await caller.call(target)
            assert refused.value.field == "max_dialogs"
            assert "2 dialogs" in str(refused.value)
            assert caller.counters["dialogs_refused"] == 1
            assert len(caller.calls) == 2
            # Established (in the table) or not, they still count; ending one frees a place.
            await first.wait_for(CallState.ESTABLISHED, timeout=5)
            with pytest.raises(TransportError):
                await caller.call(target)
            await first.hangup()
            third = await caller.call(target)
            assert third.state is not CallState.TERMINATED
            for call in (second, third):
                await call.hangup()
        finally:
            await caller.close()
            await callee.close()

    run(main())
