"""The native table lingering transactions live in (csrc/sip/linger.cpp): a key's entry until
its deadline, the earliest deadlines first out, a bound that evicts rather than refuses, and
nothing left of a burst once it expired: its pages go back to the system (issue 17)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from siperb._core import LingerTable
from siperb.sip.lingering import Linger, LingerStore


def test_an_entry_is_found_until_its_deadline() -> None:
    t = LingerTable(0)
    t.add("s\nz9hG4bK1\nh\n5060\nOPTIONS", 1, 7, b"SIP/2.0 200 OK\r\n\r\n", 10.0)
    assert t.find("s\nz9hG4bK1\nh\n5060\nOPTIONS") == (1, 7, b"SIP/2.0 200 OK\r\n\r\n", "")
    assert t.find("s\nz9hG4bK2\nh\n5060\nOPTIONS") is None
    assert t.next_deadline() == 10.0
    assert t.expire(9.99) == 0 and len(t) == 1
    assert t.expire(10.0) == 1 and len(t) == 0
    assert t.find("s\nz9hG4bK1\nh\n5060\nOPTIONS") is None and t.next_deadline() is None


def test_deadlines_come_out_in_order_whatever_order_they_went_in() -> None:
    t = LingerTable(0)
    for i, deadline in enumerate([32.0, 5.0, 32.5, 5.5, 1.0]):
        t.add(f"k{i}", 0, 0, b"", deadline)
    gone = []
    for now in (1.0, 5.0, 5.5, 32.0, 32.5):
        t.expire(now)
        gone.append(sorted(k for k in (f"k{i}" for i in range(5)) if t.find(k) is None))
    assert gone == [["k4"], ["k1", "k4"], ["k1", "k3", "k4"], ["k0", "k1", "k3", "k4"],
                    ["k0", "k1", "k2", "k3", "k4"]]  # fmt: skip


def test_adding_a_key_again_replaces_it_and_its_deadline() -> None:
    t = LingerTable(0)
    t.add("k", 0, 1, b"first", 1.0)
    t.add("k", 2, 3, b"second", 5.0, note="to-tag")
    assert len(t) == 1 and t.find("k") == (2, 3, b"second", "to-tag")
    assert t.next_deadline() == 5.0, "the first deadline no longer counts"
    assert t.expire(2.0) == 0 and t.find("k") is not None
    assert t.erase("k") and not t.erase("k") and len(t) == 0 and t.bytes == 0


def test_past_the_bound_the_entries_nearest_their_end_go_first() -> None:
    t = LingerTable(3)
    for i, deadline in enumerate([30.0, 10.0, 20.0]):
        t.add(f"k{i}", 0, 0, b"x" * 10, deadline)
    assert t.add("k3", 0, 0, b"y", 40.0) == 1
    assert t.find("k1") is None, "the one with the earliest deadline was evicted"
    assert len(t) == 3 and t.evicted == 1 and t.max_entries == 3
    assert t.bytes == sum(len(k) for k in ("k0", "k2", "k3")) + 10 + 10 + 1


def test_a_burst_leaves_nothing_once_expired_and_replacements_do_not_pile_up() -> None:
    t = LingerTable(0)
    for i in range(20_000):
        t.add(f"c\nz9hG4bK{i}\nINVITE", 2, 1, b"ACK sip:b@h SIP/2.0\r\n" * 10, float(i))
    assert len(t) == 20_000 and t.bytes > 20_000 * 200
    assert t.mapped > t.bytes, "its memory is pages of its own, not the C allocator's heap"
    assert t.expire(19_998.0) == 19_999 and t.mapped > 0
    assert t.expire(19_999.0) == 1
    assert len(t) == 0 and t.bytes == 0 and t.next_deadline() is None
    assert t.mapped == 0, "empty, it gives every page back"
    for i in range(10_000):  # one key, replaced: its stale deadlines are dropped, not kept
        t.add("same", 0, 0, b"", float(i))
    assert len(t) == 1 and t.next_deadline() == 9_999.0


class _Flow:
    """Stands for a transport flow: the store reads ``closed`` and sends on it."""

    def __init__(self) -> None:
        self.closed = False
        self.sent: list[bytes] = []

    def send_nowait(self, data: bytes) -> None:
        self.sent.append(data)


def test_a_closed_flow_is_dropped_and_its_number_never_names_another() -> None:
    """The store names flows by numbers of its own: once a closed connection's flow is dropped
    (and collected), its entries find no flow, never a new one that got its memory."""

    async def main() -> None:
        store = LingerStore(asyncio.get_running_loop(), 0, tick=0.01)
        old = _Flow()
        store.keep("s", ("z9hG4bKold", "h", "5060", "OPTIONS"), Linger.RESEND, cast(Any, old),
                   b"SIP/2.0 200 OK\r\n\r\n", 10.0)  # fmt: skip
        store.keep("s", ("z9hG4bKshort",), Linger.ABSORB, cast(Any, old), b"", 0.02)
        number = store._numbers[cast(Any, old)]
        old.closed = True
        await asyncio.sleep(0.1)  # the short entry expires: the tick drops the closed flow
        assert cast(Any, old) not in store._numbers
        young = _Flow()
        store.keep("s", ("z9hG4bKnew", "h", "5060", "OPTIONS"), Linger.RESEND, cast(Any, young),
                   b"SIP/2.0 200 OK\r\n\r\n", 10.0)  # fmt: skip
        assert store._numbers[cast(Any, young)] > number, "numbers are never reused"
        hit = store.find("s", ("z9hG4bKold", "h", "5060", "OPTIONS"))
        assert hit is not None and hit[1] is None, "the old entry's flow is gone, not replaced"
        assert store.request_copy(("z9hG4bKold", "h", "5060", "OPTIONS"), cast(Any, _Options()))
        assert young.sent == [] and old.sent == [], "the old entry's response went out"
        assert store.request_copy(("z9hG4bKnew", "h", "5060", "OPTIONS"), cast(Any, _Options()))
        assert young.sent == [b"SIP/2.0 200 OK\r\n\r\n"]
        store.clear()
        assert len(store) == 0

    asyncio.run(main())


class _Options:
    method = "OPTIONS"
