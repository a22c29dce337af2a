"""RFC 3261 17 transactions over real loopback UDP sockets, with a tiny T1.

Two TransactionLayers (or one layer and a raw socket that misbehaves on purpose) talk to each
other: retransmissions, ACKs for non-2xx, RFC 6026 2xx handling, stray messages, timeouts.
"""

from __future__ import annotations

import asyncio
import functools
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from siperb import sip
from siperb.sip.transaction import (
    ServerTransaction,
    State,
    Timers,
    TransactionLayer,
    TransactionTimeout,
    new_branch,
)
from siperb.sip.transport import Endpoint, Flow, UdpEndpoint

FAST = Timers(t1=0.01, t2=0.04, t4=0.05)


@dataclass
class Side:
    layer: TransactionLayer
    udp: UdpEndpoint
    requests: list[tuple[sip.Message, ServerTransaction]] = field(default_factory=list)
    strays: list[sip.Message] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)

    def flow_to(self, other: Side) -> Flow:
        return self.udp.flow(other.udp.local)


async def make_side(auto: int | None = None) -> Side:
    """A layer on its own UDP socket; ``auto`` answers every request with that status."""
    side: Side

    def on_request(msg: sip.Message, tx: ServerTransaction) -> None:
        side.requests.append((msg, tx))
        if auto is not None:
            tx.respond(auto, "Auto", to_tag="srv")

    layer = TransactionLayer(on_request, lambda m, f: side.strays.append(m), FAST)
    udp = await UdpEndpoint.bind("127.0.0.1", 0, layer.receive,
                                 trace=lambda r: side.sent.append(r.data) if r.direction == "out"
                                 else None)  # fmt: skip
    side = Side(layer, udp)
    return side


def with_pair(test: Callable[[Side, Side], Awaitable[None]]) -> Callable[[], None]:
    """Runs an async test on a fresh loop with two connected sides (no pytest plugin needed)."""

    @functools.wraps(test)
    def run() -> None:
        async def main() -> None:
            a, b = await make_side(), await make_side()
            try:
                await asyncio.wait_for(test(a, b), 20)
            finally:
                for s in (a, b):
                    s.layer.close()
                    s.udp.close()

        asyncio.run(main())

    functools.update_wrapper(run, test)
    del run.__wrapped__  # pytest must not see the (a, b) parameters
    return run


def asynctest(test: Callable[[], Awaitable[None]]) -> Callable[[], None]:
    @functools.wraps(test)
    def run() -> None:
        asyncio.run(asyncio.wait_for(test(), 20))

    del run.__wrapped__
    return run


def request(method: str, to: Endpoint, cseq: int = 1, branch: str | None = None) -> sip.Message:
    return sip.Request(
        method,
        f"sip:bob@{to}",
        [
            ("Via", f"SIP/2.0/UDP 127.0.0.1:9;branch={branch or new_branch()}"),
            ("Max-Forwards", "70"),
            ("From", "<sip:alice@example.com>;tag=a1"),
            ("To", "<sip:bob@example.com>"),
            ("Call-ID", "call-1"),
            ("CSeq", f"{cseq} {method}"),
        ],
    )


async def wait_until(predicate: object, timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)


@with_pair
async def test_non_invite_retransmits_until_answered_and_server_absorbs(a: Side, b: Side) -> None:
    tx = a.layer.start_client(request("OPTIONS", b.udp.local), a.flow_to(b))
    await asyncio.sleep(FAST.t1 * 6)  # several timer E retransmissions, no answer yet
    requests_sent = [d for d in a.sent if d.startswith(b"OPTIONS")]
    assert len(requests_sent) >= 3
    assert len(b.requests) == 1, "retransmissions must not reach the TU again"
    b.requests[0][1].respond(200, "OK", to_tag="t")
    final = await asyncio.wait_for(tx.final, 1)
    assert final.status == 200
    # A retransmission after the final response gets the same response back.
    a.flow_to(b).send_nowait(tx.request)
    await wait_until(lambda: len([d for d in b.sent if d.startswith(b"SIP/2.0 200")]) == 2)
    assert len(b.requests) == 1


@with_pair
async def test_invite_non_2xx_is_acked_by_the_transaction(a: Side, b: Side) -> None:
    tx = a.layer.start_client(request("INVITE", b.udp.local), a.flow_to(b))
    await wait_until(lambda: b.requests)
    stx = b.requests[0][1]
    stx.respond(486, "Busy Here", to_tag="srv")
    final = await asyncio.wait_for(tx.final, 1)
    assert final.status == 486
    ack = await asyncio.wait_for(stx.acked, 1)
    assert ack is not None and ack.method == "ACK"
    assert ack.cseq is not None and ack.cseq.number == 1
    assert ack.to is not None and ack.to.tag == "srv"
    assert ack.via[0].branch == tx.branch, "non-2xx ACK reuses the INVITE's branch (17.1.1.3)"
    assert stx.state in (State.CONFIRMED, State.TERMINATED)
    assert tx.state is State.COMPLETED
    assert b.strays == [], "the non-2xx ACK belongs to the transaction, not the TU"


@with_pair
async def test_invite_2xx_goes_to_the_tu_and_retransmissions_are_stray(a: Side, b: Side) -> None:
    provisional: list[int] = []
    tx = a.layer.start_client(
        request("INVITE", b.udp.local), a.flow_to(b), lambda r: provisional.append(r.status or 0)
    )
    await wait_until(lambda: b.requests)
    stx = b.requests[0][1]
    stx.respond(180, "Ringing", to_tag="srv")
    ok = stx.respond(200, "OK", to_tag="srv")
    final = await asyncio.wait_for(tx.final, 1)
    assert (provisional, final.status) == ([180], 200)
    assert tx.state is State.ACCEPTED and stx.state is State.ACCEPTED
    # The UAS core re-sends its 2xx (13.3.1.4): the client passes it to its TU (RFC 6026).
    b.flow_to(a).send_nowait(ok)
    await wait_until(lambda: a.strays)
    assert a.strays[0].status == 200
    # A 2xx ACK has its own branch: the server layer hands it to its TU as a stray.
    ack = sip.Request("ACK", "sip:bob@x", [
        ("Via", f"SIP/2.0/UDP 127.0.0.1:9;branch={new_branch()}"), ("From", "<sip:a@x>;tag=a1"),
        ("To", "<sip:b@x>;tag=srv"), ("Call-ID", "call-1"), ("CSeq", "1 ACK"),
    ])  # fmt: skip
    a.flow_to(b).send_nowait(ack)
    await wait_until(lambda: b.strays)
    assert b.strays[0].method == "ACK"


@asynctest
async def test_timer_f_and_b_time_out_without_answer() -> None:
    a = await make_side()
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        dest = Endpoint("127.0.0.1", silent.getsockname()[1])
        for method in ("OPTIONS", "INVITE"):
            tx = a.layer.start_client(request(method, dest), a.udp.flow(dest))
            with pytest.raises(TransactionTimeout) as info:
                await asyncio.wait_for(tx.final, 5)
            assert info.value.field == ("timer B" if method == "INVITE" else "timer F")
        assert a.layer.pending == 0
        silent.setblocking(False)
        received = []
        with pytest.raises(BlockingIOError):
            while True:
                received.append(silent.recv(65535))
        invites = [d for d in received if d.startswith(b"INVITE")]
        # Timer A doubles: sends at 0, T1, 3T1, 7T1, 15T1, 31T1 (and 63T1 unless timer drift
        # pushes it past timer B at 64T1).
        assert 6 <= len(invites) <= 7
        options = [d for d in received if d.startswith(b"OPTIONS")]
        # Timer E doubles up to T2 (4 T1): 0, 1, 3, 7, then every 4 T1 until 64 T1 -> ~ 18.
        assert 15 <= len(options) <= 19
    finally:
        silent.close()
        a.layer.close()
        a.udp.close()


@with_pair
async def test_proceeding_invite_does_not_time_out(a: Side, b: Side) -> None:
    tx = a.layer.start_client(request("INVITE", b.udp.local), a.flow_to(b))
    await wait_until(lambda: b.requests)
    b.requests[0][1].respond(180, "Ringing", to_tag="srv")
    await asyncio.sleep(FAST.b * 1.5)
    assert not tx.final.done(), "timer B only runs in the Calling state"
    b.requests[0][1].respond(603, "Decline", to_tag="srv")
    assert (await asyncio.wait_for(tx.final, 1)).status == 603


@asynctest
async def test_server_retransmits_non_2xx_until_ack_then_gives_up() -> None:
    b = await make_side(auto=None)
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.bind(("127.0.0.1", 0))
    raw.settimeout(1)
    try:
        invite = request("INVITE", b.udp.local)
        raw.sendto(bytes(invite), ("127.0.0.1", b.udp.local.port))
        await wait_until(lambda: b.requests)
        stx = b.requests[0][1]
        stx.respond(486, "Busy Here", to_tag="srv")
        assert await asyncio.wait_for(stx.acked, 5) is None, "timer H: no ACK came"
        assert stx.state is State.TERMINATED
        raw.setblocking(False)
        got = []
        with pytest.raises(BlockingIOError):
            while True:
                got.append(raw.recv(65535))
        busy = [d for d in got if d.startswith(b"SIP/2.0 486")]
        assert len(busy) >= 5, f"timer G retransmissions expected, got {len(busy)}"
    finally:
        raw.close()
        b.layer.close()
        b.udp.close()


@with_pair
async def test_auto_100_trying_for_slow_invite(a: Side, b: Side) -> None:
    provisional: list[int] = []
    tx = a.layer.start_client(
        request("INVITE", b.udp.local), a.flow_to(b), lambda r: provisional.append(r.status or 0)
    )
    await wait_until(lambda: provisional == [100], timeout=2)
    assert tx.state is State.PROCEEDING
    b.requests[0][1].respond(200, "OK", to_tag="s")
    await asyncio.wait_for(tx.final, 1)


@with_pair
async def test_stray_response_and_unmatched_ack_reach_the_tu(a: Side, b: Side) -> None:
    resp = sip.Response(200, "OK", [
        ("Via", f"SIP/2.0/UDP 127.0.0.1:9;branch={new_branch()}"), ("From", "<sip:a@x>;tag=1"),
        ("To", "<sip:b@x>;tag=2"), ("Call-ID", "c"), ("CSeq", "5 INVITE"),
    ])  # fmt: skip
    b.flow_to(a).send_nowait(resp)
    await wait_until(lambda: a.strays)
    assert a.strays[0].status == 200 and a.requests == []


@with_pair
async def test_messages_without_mandatory_headers_are_dropped(a: Side, b: Side) -> None:
    bad = sip.Request("OPTIONS", "sip:b@x", [("Via", f"SIP/2.0/UDP 1.2.3.4;branch={new_branch()}")])
    a.flow_to(b).send_nowait(bad)
    good = request("OPTIONS", b.udp.local)
    a.flow_to(b).send_nowait(good)
    await wait_until(lambda: b.requests)
    assert [m.call_id for m, _ in b.requests] == ["call-1"]


@with_pair
async def test_cancel_finds_its_invite_transaction(a: Side, b: Side) -> None:
    branch = new_branch()
    a.layer.start_client(request("INVITE", b.udp.local, branch=branch), a.flow_to(b))
    await wait_until(lambda: b.requests)
    cancel = request("CANCEL", b.udp.local, branch=branch)
    a.layer.start_client(cancel, a.flow_to(b))
    await wait_until(lambda: len(b.requests) == 2)
    msg, _ = b.requests[1]
    assert msg.method == "CANCEL"
    assert b.layer.invite_server(msg) is b.requests[0][1]
