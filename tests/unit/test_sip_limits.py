"""Bounds on what a remote party can make the UA do (issue 17): a per-source rate limit on
requests that create state (503 with Retry-After, then silence for a UDP flood), bounded
server/client transaction, dialog and subscription tables with a defined refusal and
counters, and malformed input logged once per source per interval with a count."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import uuid
from typing import Any

import pytest

from siperb import sip
from siperb.errors import SipParseError, TransportError
from siperb.sip.limits import LogLimiter, SourceLimiter, Verdict
from siperb.sip.useragent import UserAgent, UserAgentConfig


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


# ---- the sans-IO pieces ----


def test_source_limiter_admits_a_burst_then_refuses_then_drops() -> None:
    lim = SourceLimiter(rate=1.0, burst=3, drop_after=2)
    got = [lim.check("198.51.100.1", 0.0) for _ in range(7)]
    assert got == [Verdict.ADMIT] * 3 + [Verdict.REFUSE] * 2 + [Verdict.DROP] * 2
    # Another source has its own bucket.
    assert lim.check("198.51.100.2", 0.0) is Verdict.ADMIT
    # The debt is paid back at the rate: 2 owed + 1 to spend = 3 s.
    assert lim.check("198.51.100.1", 2.5) is not Verdict.ADMIT
    assert lim.check("198.51.100.1", 6.0) is Verdict.ADMIT
    assert lim.counters["admitted"] == 5 and lim.counters["dropped"] >= 2


def test_source_limiter_retry_after_says_when_a_token_is_back() -> None:
    lim = SourceLimiter(rate=0.5, burst=1)
    assert lim.check("a", 0.0) is Verdict.ADMIT
    assert lim.check("a", 0.0) is Verdict.REFUSE  # tokens now -1
    assert lim.retry_after("a") == 4  # 2 tokens at 0.5/s
    assert lim.retry_after("never-seen") == 1


def test_source_limiter_table_is_bounded_lru() -> None:
    lim = SourceLimiter(rate=1.0, burst=1, max_sources=100)
    for i in range(1000):
        lim.check(f"10.0.{i // 256}.{i % 256}", 0.0)
    assert len(lim) == 100 and lim.counters["evicted"] == 900
    lim.check("10.0.3.231", 0.0)  # the last one seen is still there: refused, not new
    assert lim.counters["refused"] == 1


def test_log_limiter_one_line_per_key_per_interval_with_count() -> None:
    lim = LogLimiter(interval=10.0, max_keys=4)
    assert lim.allow("a", 0.0) == 0
    assert [lim.allow("a", t) for t in (1.0, 2.0, 9.0)] == [None, None, None]
    assert lim.allow("b", 9.5) == 0  # per key
    assert lim.allow("a", 10.5) == 3  # three held back since the last line
    assert lim.allow("a", 11.0) is None
    for k in "cdefgh":
        lim.allow(k, 12.0)
    assert len(lim._seen) == 4


def test_source_limiter_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        SourceLimiter(rate=0.0, burst=1)


# ---- through a running UA over UDP ----


def options(port: int, n: int, *, to_tag: str = "") -> bytes:
    tag = f";tag={to_tag}" if to_tag else ""
    return (
        f"OPTIONS sip:1000@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{uuid.uuid4().hex}\r\n"
        f"From: <sip:flood@127.0.0.1>;tag=f{n}\r\nTo: <sip:1000@127.0.0.1>{tag}\r\n"
        f"Call-ID: lim-{n}-{uuid.uuid4().hex[:6]}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


class Peer:
    """A raw UDP socket that sends at the UA and collects the status lines it gets back."""

    def __init__(self, ua: UserAgent, host: str = "127.0.0.1") -> None:
        assert ua.flow is not None
        self.target = (ua.flow.local.host, ua.flow.local.port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.got: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.target)

    async def collect(self, quiet: float = 0.3) -> list[bytes]:
        """Reads until nothing arrived for ``quiet`` seconds."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                data = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), quiet)
            except asyncio.TimeoutError:
                return self.got
            self.got.append(data)

    def close(self) -> None:
        self.sock.close()


async def started(**kw: Any) -> UserAgent:
    cfg = UserAgentConfig(aor="sip:1000@127.0.0.1", proxy="sip:127.0.0.1:9;transport=udp",
                          udp_keepalive_interval=None, **kw)  # fmt: skip
    ua = UserAgent(cfg)
    await ua.start(register=False)
    return ua


def statuses(got: list[bytes]) -> list[int]:
    return [int(g.split(b" ", 2)[1]) for g in got]


def test_an_options_flood_gets_200_then_503_with_retry_after_then_silence() -> None:
    async def main() -> None:
        ua = await started(request_rate=1.0, request_burst=5, request_drop_after=10)
        peer = Peer(ua)
        try:
            for n in range(40):
                peer.send(options(peer.port, n))
            got = await peer.collect()
            codes = statuses(got)
            assert codes.count(200) == 5, codes
            assert codes.count(503) == 10, codes
            assert len(codes) == 15  # the other 25 were dropped: no reflection of a flood
            refusal = next(g for g in got if g.startswith(b"SIP/2.0 503"))
            retry = re.search(rb"\r\nRetry-After: *(\d+)", refusal)
            assert retry is not None and int(retry.group(1)) >= 1
            c = ua.counters
            assert c["rate_refused"] == 10 and c["rate_dropped"] == 25
            assert c["transactions"] <= 5  # refusals are stateless
            # In-dialog requests (To tag) are not rate-limited: 481, not silence.
            peer.got.clear()
            peer.send(options(peer.port, 99, to_tag="x1"))
            assert statuses(await peer.collect()) == [481]
            # Another source (address: the table is keyed by host) is unaffected.
            other = Peer(ua, "127.0.0.2")
            other.send(options(other.port, 100))
            assert statuses(await other.collect()) == [200]
            other.close()
        finally:
            peer.close()
            await ua.close()

    run(main())


def test_a_source_is_admitted_again_once_its_debt_is_paid() -> None:
    async def main() -> None:
        ua = await started(request_rate=20.0, request_burst=2, request_drop_after=2)
        peer = Peer(ua)
        try:
            for n in range(6):
                peer.send(options(peer.port, n))
            assert 200 in statuses(await peer.collect(0.05))
            await asyncio.sleep(0.3)  # 6 tokens back at 20/s: the 2 owed, then 4
            peer.got.clear()
            peer.send(options(peer.port, 50))
            assert statuses(await peer.collect()) == [200]
        finally:
            peer.close()
            await ua.close()

    run(main())


def invite(port: int, n: int) -> bytes:
    sdp = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    sdp += b"m=audio 40000 RTP/AVP 0\r\n"
    return (
        f"INVITE sip:1000@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{uuid.uuid4().hex}\r\n"
        f"From: <sip:flood@127.0.0.1>;tag=f{n}\r\nTo: <sip:1000@127.0.0.1>\r\n"
        f"Call-ID: inv-{n}-{uuid.uuid4().hex[:6]}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
        f"Contact: <sip:flood@127.0.0.1:{port}>\r\nContent-Type: application/sdp\r\n"
        f"Content-Length: {len(sdp)}\r\n\r\n"
    ).encode() + sdp


def test_a_full_server_transaction_table_answers_503_statelessly() -> None:
    async def main() -> None:
        ua = await started(request_rate=None, max_transactions=3)
        peer = Peer(ua)
        try:
            for n in range(5):
                peer.send(invite(peer.port, n))
            got = await peer.collect()
            # This UA has no media: each INVITE it takes gets a 503 and its transaction stays
            # live, retransmitting that 503 until an ACK (timers G, H); past three the table
            # is full and the rest get the layer's stateless 503.
            assert ua.counters["server_refused"] == 2 and ua.counters["transactions"] == 3
            assert set(statuses(got)) == {503}
            assert sum(b"Retry-After:" in g for g in got) == 2, "the layer's, not the UA's"
        finally:
            peer.close()
            await ua.close()

    run(main())


def test_finished_transactions_linger_within_their_own_bound() -> None:
    """Answered requests wait out copies (timer J) in the layer's lingering table, which has
    its own bound: a flood past it makes the oldest stop waiting, never a refusal."""

    async def main() -> None:
        ua = await started(request_rate=None, max_transactions=3, max_lingering=3)
        assert ua.layer is not None
        peer = Peer(ua)
        try:
            sent = [options(peer.port, n) for n in range(8)]
            for data in sent:
                peer.send(data)
            codes = statuses(await peer.collect())
            assert codes == [200] * 8 and ua.counters["server_refused"] == 0
            assert len(ua.layer.lingering) == 3 and ua.layer.lingering.evicted == 5
            assert ua.counters["transactions"] == 3
            # A copy of a request still lingering gets the same 200 again, byte for byte.
            peer.got.clear()
            peer.send(sent[-1])
            again = await peer.collect()
            assert len(again) == 1 and statuses(again) == [200]
            assert len(ua.layer.lingering) == 3
        finally:
            peer.close()
            await ua.close()

    run(main())


def test_a_full_client_transaction_table_refuses_to_send() -> None:
    async def main() -> None:
        ua = await started(max_transactions=2)
        try:
            for _ in range(2):
                ua.send_request(ua.new_request("OPTIONS", "sip:x@127.0.0.1"))
            with pytest.raises(TransportError) as err:
                ua.send_request(ua.new_request("OPTIONS", "sip:x@127.0.0.1"))
            assert err.value.field == "transactions"
            assert ua.counters["client_refused"] == 1
        finally:
            await ua.close()

    run(main())


def test_a_full_dialog_table_refuses_new_dialogs_with_503() -> None:
    async def main() -> None:
        ua = await started(max_dialogs=1, request_rate=None)
        ua.router.dialogs[("held", "t1", "t2")] = ua  # type: ignore[assignment]
        peer = Peer(ua)
        try:
            invite = options(peer.port, 1).replace(b"OPTIONS", b"INVITE")
            peer.send(invite)
            got = await peer.collect()
            assert statuses(got) == [503] and b"Retry-After:" in got[0]
            assert ua.counters["dialogs_refused"] == 1
            peer.got.clear()
            peer.send(options(peer.port, 2))  # not dialog-creating: still answered
            assert statuses(await peer.collect()) == [200]
        finally:
            ua.router.dialogs.clear()
            peer.close()
            await ua.close()

    run(main())


def test_subscriptions_are_bounded() -> None:
    async def main() -> None:
        ua = await started(max_subscriptions=2)
        try:
            ua.expect_notify("c1", "t", ua)  # type: ignore[arg-type]
            ua.expect_notify("c2", "t", ua)  # type: ignore[arg-type]
            ua.expect_notify("c2", "t", ua)  # type: ignore[arg-type]  # the same one again
            with pytest.raises(TransportError) as err:
                ua.expect_notify("c3", "t", ua)  # type: ignore[arg-type]
            assert err.value.field == "max_subscriptions"
            ua.expect_notify("c1", "t", None)
            ua.expect_notify("c3", "t", ua)  # type: ignore[arg-type]
            assert ua.counters["subscriptions_refused"] == 1
        finally:
            ua.router.pending_subscriptions.clear()
            await ua.close()

    run(main())


def test_repeated_malformed_input_is_logged_once_per_interval_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        ua = await started(malformed_log_interval=0.5)
        peer = Peer(ua)
        bad = options(peer.port, 1).replace(b"SIP/2.0\r\n", b"SIP/\xff2.0\r\n", 1)
        try:
            with pytest.raises(SipParseError):
                sip.parse(bad)
            for _ in range(30):
                peer.send(bad)
            got = await peer.collect()
            assert statuses(got) == [400] * 30  # every one is still answered
            lines = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
            assert len(lines) == 1, lines
            await asyncio.sleep(0.6)
            peer.send(bad)
            await peer.collect()
            lines = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
            assert len(lines) == 2 and "(29 more like this not logged)" in lines[1], lines
            assert ua.counters["malformed"] == 31
        finally:
            peer.close()
            await ua.close()

    with caplog.at_level(logging.INFO, logger="siperb.sip"):
        run(main())
