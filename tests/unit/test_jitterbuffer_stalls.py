"""Stalls and outages on a settled stream: what the playout point does after the buffer ran dry."""

from __future__ import annotations

from test_jitterbuffer_behaviour import FRAME, Player, feed

from siperb.media.jitterbuffer import JitterBuffer


def stalled(stall_ms: float) -> tuple[JitterBuffer, Player, list[int]]:
    """500 packets on time (30 ms transit), then the next ones held `stall_ms` longer and
    delivered together (a Wi-Fi stall), then on time again."""
    jb = JitterBuffer(8000, 20)
    p = Player(jb)
    feed(jb, p, list(range(500)))
    burst = 500 * 20 + 30 + stall_ms
    held = [s for s in range(500, 540) if s * 20 + 30 < burst]
    p.run_until(burst - 1)
    for s in held:
        jb.put(s, s * FRAME, b"b", burst)
    feed(jb, p, list(range(held[-1] + 1, 700)))
    p.run_until(p.t + 100)
    return jb, p, held


def test_a_stall_drops_the_packets_its_concealment_stood_in_for() -> None:
    jb, p, held = stalled(200)
    assert held == list(range(500, 510))
    # The ten held packets were concealed while the buffer was empty: playing them too would
    # keep the stall as 200 ms of extra delay. They are dropped (not lost: they came) and the
    # next packet plays at the offset of before.
    assert not set(held) & set(p.played())
    st = jb.stats()
    assert (st.discarded, st.lost) == (10, 0)
    assert p.offset_at[510] == p.offset_at[499]
    assert p.played()[-1] == 699


def test_a_packet_just_too_late_is_dropped_when_the_tick_before_meets_the_target() -> None:
    # As speexdsp does with a late packet: its frame was concealed, the packet after it is
    # here and the offset of before still meets the target, so keeping it would only add a
    # frame of delay (to stretch away later). It is dropped, not lost: it came.
    jb, p, held = stalled(20)
    assert held == [500]
    assert set(p.played()) == set(range(700)) - {500}
    st = jb.stats()
    assert (st.discarded, st.lost) == (1, 0)
    assert p.offset_at[501] == p.offset_at[499]


def test_a_late_packet_plays_when_the_one_after_it_is_missing() -> None:
    # 500 comes a frame late and 501 is lost: nothing is known to follow in time, so 500 plays
    # (its concealment bought the time) and the delay is stretched away again.
    jb = JitterBuffer(8000, 20)
    p = Player(jb)
    feed(jb, p, list(range(500)))
    p.run_until(500 * 20 + 30 + 20 - 1)
    jb.put(500, 500 * FRAME, b"b", 500 * 20 + 30 + 20)
    feed(jb, p, list(range(502, 700)))
    p.run_until(p.t + 100)
    assert 500 in p.played() and 501 not in p.played()
    assert jb.stats().discarded == 0
    assert p.offset_at[500] == p.offset_at[499] + 20
    assert p.offset_at[699] == p.offset_at[499]


def test_an_outage_longer_than_the_buffer_is_concealed_once() -> None:
    # 40 packets (800 ms) lost, more than the 27 the buffer holds: when packets come again the
    # frames concealed during the outage stand in for the lost ones; none is concealed twice.
    jb = JitterBuffer(8000, 20)
    p = Player(jb)
    feed(jb, p, list(range(500)))
    before = jb.stats()
    feed(jb, p, list(range(540, 700)))
    p.run_until(p.t + 100)
    st = jb.stats()
    assert (st.concealed + st.silence) - (before.concealed + before.silence) <= 40 + 1 + 5
    assert st.lost == 40
    assert p.offset_at[540] == p.offset_at[499]
    assert p.played()[-1] == 699
