"""SDK parity through Kamailio between siperb phones: OnIncomingCall and call waiting."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from test_phone_calls import opts
from test_sdk_examples import provision, settle
from test_ua_common import run

from peers.kamailio import Kamailio
from siperb.phone import Phone

pytestmark = pytest.mark.integration


@pytest.mark.timeout(60)
def test_on_incoming_call_slot_and_answering_a_second_call_holds_the_first(
    kamailio: Kamailio, tmp_path: Path
) -> None:
    async def main() -> None:
        me = await provision(opts(kamailio, "1000"), tmp_path / "a")
        bob = await provision(opts(kamailio, "1001"), tmp_path / "b")
        carol = await provision(opts(kamailio, "1002"), tmp_path / "c")
        phones: list[Phone] = [me, bob, carol]
        try:
            offers: list[dict[str, Any]] = []
            me.OnIncomingCall = offers.append
            buddy = await me.buddies.add("Bob", "1001")
            from_bob = await bob.dial("1000")
            await settle(lambda: len(offers) == 1, 10)
            first = offers[0]
            assert set(first) == {"SessionId", "Time", "BuddyId", "CallerId", "DID",
                                  "Direction", "WithVideo"}  # fmt: skip
            assert first["Direction"] == "inbound" and first["WithVideo"] is False
            assert "1001" in first["CallerId"] and first["DID"] == "1000"
            assert first["BuddyId"] == buddy.buddy_id
            await me.Answer(first["SessionId"])
            await from_bob.wait_for("established", timeout=10)
            from_carol = await carol.dial("1000")
            await settle(lambda: len(offers) == 2, 10)
            await me.Answer(offers[1]["SessionId"])
            await from_carol.wait_for("established", timeout=10)
            states = {c.id: c.state.value for c in me.calls}
            assert states == {first["SessionId"]: "on_hold", offers[1]["SessionId"]: "established"}
            await settle(lambda: from_bob.remote_hold, 10)
        finally:
            for p in phones:
                await p.close()
            await asyncio.sleep(0)

    run(main(), 55)
