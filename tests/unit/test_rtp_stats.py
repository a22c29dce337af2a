"""RFC 3550 Appendix A.1/A.3/A.8 receive statistics on crafted sequences."""

from __future__ import annotations

from siperb.media.rtp import RtpReceiverStats


def feed(stats: RtpReceiverStats, seqs: list[int], step_ts: int = 160) -> None:
    for i, s in enumerate(seqs):
        stats.update(s & 0xFFFF, (s * step_ts) & 0xFFFFFFFF, 20.0 * i)


def test_probation_then_valid() -> None:
    st = RtpReceiverStats(8000)
    assert st.update(100, 0, 0.0) is False
    assert not st.valid
    assert st.update(101, 160, 20.0) is True
    assert st.valid and st.base_seq == 101 and st.received == 1


def test_probation_restarts_on_non_sequential() -> None:
    st = RtpReceiverStats(8000)
    assert not st.update(10, 0, 0)
    assert not st.update(50, 0, 20)
    assert st.update(51, 0, 40)
    assert st.valid and st.base_seq == 51


def test_loss_and_fraction() -> None:
    st = RtpReceiverStats(8000)
    feed(st, [0, 1, 2, 3, 5, 6, 9, 10])  # 4, 7, 8 lost after base 1
    assert st.expected == 10 and st.received == 7 and st.lost == 3
    rep = st.report()
    assert rep.cumulative_lost == 3 and rep.fraction_lost == (3 << 8) // 10
    assert rep.extended_highest_seq == 10
    feed(st, [])
    # nothing new: fraction of the next interval is 0
    assert st.report().fraction_lost == 0


def test_reorder_and_duplicates() -> None:
    st = RtpReceiverStats(8000)
    feed(st, [0, 1, 3, 2, 4, 4])
    assert st.extended_highest_seq == 4
    assert st.expected == 4 and st.received == 5 and st.lost == -1
    assert st.report().cumulative_lost == -1


def test_wrap_counts_cycles() -> None:
    st = RtpReceiverStats(8000)
    feed(st, [65533, 65534, 65535, 0, 1, 2])
    assert st.cycles == 1
    assert st.extended_highest_seq == 65536 + 2
    assert st.lost == 0 and st.expected == 5


def test_big_jump_needs_two_sequential_to_resync() -> None:
    st = RtpReceiverStats(8000)
    feed(st, [0, 1, 2])
    assert st.update(20000, 0, 100) is False
    assert st.update(20001, 0, 120) is True
    assert st.base_seq == 20001 and st.received == 1


def test_jitter_zero_on_perfect_timing_and_grows_with_variation() -> None:
    st = RtpReceiverStats(8000)
    for i in range(50):
        st.update(i, i * 160, i * 20.0)
    assert st.jitter == 0
    st2 = RtpReceiverStats(8000)
    for i in range(200):
        st2.update(i, i * 160, i * 20.0 + (5.0 if i % 2 else 0.0))
    # |D| = 5 ms = 40 timestamp units each packet: J converges to 40
    assert 39.0 < st2.jitter <= 40.0
    assert abs(st2.jitter_ms - st2.jitter / 8) < 1e-9
    assert st2.report().jitter == int(st2.jitter)


def test_jitter_across_timestamp_wrap() -> None:
    st = RtpReceiverStats(8000)
    base = 0xFFFFFF00
    for i in range(20):
        st.update(i, (base + i * 160) & 0xFFFFFFFF, i * 20.0)
    assert st.jitter < 1e-6
