"""Finished transactions linger 64*T1 with bytes, not parsed messages (issue 17).

Back-to-back calls keep ~5,000 calls' transactions lingering at once; their parsed requests,
provisionals and responses (~30 KB a call) set the soak's high-water mark. What a lingering
transaction needs (RFC 3261 17) is the bytes it sends again: the last response for a
retransmitted request, the ACK for a retransmitted non-2xx final.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import sys

from test_sip_transaction import FAST, Side, make_side, request, wait_until, with_pair

from siperb import _memory, sip
from siperb.sip.transaction import State


@with_pair
async def test_lingering_transactions_keep_bytes_and_still_answer_copies(a: Side, b: Side) -> None:
    tx = a.layer.start_client(request("INVITE", b.udp.local), a.flow_to(b))
    await wait_until(lambda: b.requests)
    stx = b.requests[0][1]
    stx.respond(180, "Ringing", to_tag="srv")
    busy = stx.respond(486, "Busy Here", to_tag="srv")
    assert (await asyncio.wait_for(tx.final, 1)).status == 486
    await asyncio.wait_for(stx.acked, 1)
    assert tx.state is State.COMPLETED
    # Nothing parsed is left: the request, the provisional and the response are bytes.
    assert tx._request is None and tx.last_provisional is None
    assert stx._request is None and stx._response is None
    # A copy of the 486 gets the same ACK again, byte for byte (17.1.1.2).
    acks = [d for d in b.sent if d.startswith(b"ACK")]
    b.flow_to(a).send_nowait(bytes(busy))
    await wait_until(lambda: len([d for d in a.sent if d.startswith(b"ACK")]) == 2)
    again = [d for d in a.sent if d.startswith(b"ACK")]
    assert again[0] == again[1] and not acks
    # The final response too, once its waiter had it: a client transaction lingers 32 s
    # (timers D and M) and kept the parsed 407 or 200 of every call for all of it.
    await asyncio.sleep(0)
    assert tx._final is None and tx._final_raw == bytes(busy)
    # A reader still gets the messages, parsed again from their bytes.
    assert (await tx.final).status == 486
    assert tx.request.method == "INVITE" and tx.request.via[0].branch == tx.branch
    assert stx.last_response is not None and stx.last_response.status == 486


async def _server_copy_answer(method: str, status: int) -> None:
    """A request retransmitted after the final response gets that response again, identical."""
    b = await make_side(auto=None)
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.bind(("127.0.0.1", 0))
    raw.settimeout(2)
    try:
        req = bytes(request(method, b.udp.local))
        raw.sendto(req, ("127.0.0.1", b.udp.local.port))
        await wait_until(lambda: b.requests)
        stx = b.requests[0][1]
        sent = bytes(stx.respond(status, "Final", to_tag="srv"))
        assert stx._response is None and stx._request is None
        first = await asyncio.get_running_loop().run_in_executor(None, raw.recv, 65535)
        raw.sendto(req, ("127.0.0.1", b.udp.local.port))  # the copy
        second = await asyncio.get_running_loop().run_in_executor(None, raw.recv, 65535)
        assert first == second == sent
        assert len(b.requests) == 1, "the copy does not reach the TU"
    finally:
        raw.close()
        b.layer.close()
        b.udp.close()


def test_retransmitted_request_gets_the_same_final_response() -> None:
    asyncio.run(_server_copy_answer("OPTIONS", 200))
    asyncio.run(_server_copy_answer("INVITE", 486))


@with_pair
async def test_lingering_calls_hold_little_native_memory(a: Side, b: Side) -> None:
    """1,000 answered INVITEs (180, then 200) lingering on both sides: the C allocator's bytes
    in use per call, ~11 KB with four parsed messages, 2,791 B with the client's parsed 200
    kept by its ``final``; now ~950 B: the lingering table's entries (keys and the last
    response, native) beside the transactions this test holds, nothing parsed."""
    b.layer.timers = a.layer.timers = type(FAST)(t1=10.0, t2=40.0, t4=50.0)  # they linger
    gc.collect()
    before = _memory.heap()[0]
    n, done = 1000, []
    for i in range(n):
        inv = request("INVITE", b.udp.local, cseq=i + 1)
        done.append(a.layer.start_client(inv, a.flow_to(b)))
        del inv
        await wait_until(lambda n=i + 1: len(b.requests) == n)
        _, stx = b.requests[i]
        stx.respond(180, "Ringing", to_tag="srv")
        stx.respond(200, "OK", to_tag="srv", body=b"v=0\r\n" + b"a=x\r\n" * 30)
        await asyncio.wait_for(done[-1].final, 2)
    b.requests.clear()  # what the TU kept
    b.sent.clear()
    a.sent.clear()
    gc.collect()
    per_call = (_memory.heap()[0] - before) / n
    assert a.layer.pending == b.layer.pending == n, "they linger (timers L and M)"
    print(f"{per_call:.0f} bytes a lingering call")
    assert per_call < 1500, f"{per_call:.0f} bytes a lingering call"
    assert all(isinstance(t._request_raw, bytes) and t._request is None for t in done)
    assert sip.parse(done[0]._request_raw).method == "INVITE"


@with_pair
async def test_a_lingering_call_leaves_no_python_objects_behind(a: Side, b: Side) -> None:
    """Lingering transactions are entries of the layer's native table, not transaction
    objects with their timer handles: ~7 KB of the interpreter's small-object arenas a call
    before, which a burst of calls left pinned by a few survivors (issue 17)."""
    b.layer.timers = a.layer.timers = type(FAST)(t1=10.0, t2=40.0, t4=50.0)  # they linger
    loop = asyncio.get_running_loop()
    gc.collect()
    blocks, handles = sys.getallocatedblocks(), len(loop._scheduled)  # type: ignore[attr-defined]
    n = 500
    for i in range(n):
        tx = a.layer.start_client(request("INVITE", b.udp.local, cseq=i + 1), a.flow_to(b))
        await wait_until(lambda n=i + 1: len(b.requests) == n)
        b.requests[i][1].respond(200, "OK", to_tag="srv")
        await asyncio.wait_for(tx.final, 2)
        del tx
    b.requests.clear()  # what the TU kept
    b.sent.clear()
    a.sent.clear()
    await asyncio.sleep(0)
    gc.collect()
    assert a.layer.pending == b.layer.pending == n, "they linger (timers L and M)"
    assert not a.layer._client and not b.layer._server, "as entries, not objects"
    per_call = (sys.getallocatedblocks() - blocks) / n
    live_handles = [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
    print(f"{per_call:.1f} Python blocks a lingering call, {len(live_handles)} live timers")
    assert per_call < 2, f"{per_call:.1f} Python blocks a lingering call"
    assert len(live_handles) <= handles + 2, "one timer for the whole table, per side"
