"""The reconnect backoff grows while connections die young and resets only after one stays up.

A server that accepts and at once drops the connection must not get a new connection (and a
REGISTER) every ``reconnect_min`` forever: the delay doubles up to ``reconnect_max`` until a
connection has lived ``reconnect_stable`` seconds.
"""

from __future__ import annotations

import asyncio

from siperb.sip.useragent import UserAgent, UserAgentConfig


async def _accepts(drop_after: float, seconds: float, **config: float) -> int:
    """How many TCP connections the UA opens in ``seconds`` to a server dropping each."""
    accepted = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        await asyncio.sleep(drop_after)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    ua = UserAgent(UserAgentConfig(aor="sip:a@127.0.0.1",
                                   proxy=f"sip:127.0.0.1:{port};transport=tcp",
                                   keepalive_interval=None, **config))  # type: ignore[arg-type]  # fmt: skip
    try:
        await ua.start(register=False)
        await asyncio.sleep(seconds)
    finally:
        await ua.close()
        server.close()
    return accepted


def test_a_server_that_drops_every_connection_gets_fewer_and_fewer() -> None:
    # 0.05, 0.1, 0.2, 0.4, 0.8 s: about 6 connections in 2 s, not 40
    n = asyncio.run(_accepts(0.0, 2.0, reconnect_min=0.05, reconnect_max=5.0))
    assert 3 <= n <= 8, n


def test_a_connection_that_stayed_up_resets_the_backoff() -> None:
    # each connection lives 0.3 s, longer than reconnect_stable: every retry waits the minimum
    n = asyncio.run(_accepts(0.3, 2.0, reconnect_min=0.05, reconnect_max=5.0,
                             reconnect_stable=0.2))  # fmt: skip
    assert n >= 5, n
