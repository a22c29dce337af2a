"""Adaptive jitter buffer behaviour on crafted packet sequences."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from siperb.errors import RtpError
from siperb.media.jitterbuffer import Frame, FrameKind, JitterBuffer, Stretch

FRAME = 160  # 20 ms at 8 kHz


class Player:
    """Drives a buffer like an audio output: a 20 ms clock and a sync buffer (pending audio)."""

    def __init__(self, jb: JitterBuffer) -> None:
        self.jb = jb
        self.t = 0.0
        self.pending = 0.0
        self.frames: list[Frame] = []
        self.offset_at: dict[int, float] = {}  # playout offset when each packet played

    def tick(self) -> None:
        while self.pending < 20:
            f = self.jb.get(self.t, self.pending)
            self.frames.append(f)
            if f.kind == FrameKind.PACKET:
                self.offset_at[f.sequence_number] = self.jb.stats().current_delay_ms + self.pending
            step = f.stretch_samples / 8
            self.pending += f.samples / 8 + (
                -step
                if f.stretch == Stretch.ACCELERATE
                else step
                if f.stretch == Stretch.DECELERATE
                else 0
            )
        self.pending -= 20
        self.t += 20

    def run_until(self, t: float) -> None:
        while self.t <= t:
            self.tick()

    def played(self) -> list[int]:
        return [f.sequence_number for f in self.frames if f.kind == FrameKind.PACKET]

    def kinds(self) -> list[FrameKind]:
        return [f.kind for f in self.frames]

    def between_packets(self) -> list[Frame]:
        """Frames from the first played packet to the last (no start-up or end-of-stream tail)."""
        idx = [i for i, f in enumerate(self.frames) if f.kind == FrameKind.PACKET]
        return self.frames[idx[0] : idx[-1] + 1]


def feed(
    jb: JitterBuffer,
    player: Player,
    seqs: list[int],
    *,
    first_seq: int = 0,
    ts0: int = 0,
    net: float = 30.0,
) -> None:
    """Sends seqs at 20 ms intervals (seq k at (k - first_seq) * 20 ms), arriving after `net` ms."""
    for s in seqs:
        k = s - first_seq
        player.run_until(k * 20 + net - 1)
        jb.put(s & 0xFFFF, (ts0 + k * FRAME) & 0xFFFFFFFF, bytes([s & 0xFF]), k * 20 + net)


def drain(player: Player, extra_ms: float = 400) -> None:
    player.run_until(player.t + extra_ms)


def test_in_order_stream_plays_every_packet_once() -> None:
    jb = JitterBuffer(8000, 20)
    p = Player(jb)
    feed(jb, p, list(range(100)))
    drain(p)
    assert p.played() == list(range(100))
    st = jb.stats()
    assert st.received == 100 and st.played == 100 and st.lost == 0 and st.late == 0
    first = p.kinds().index(FrameKind.PACKET)
    assert FrameKind.CONCEAL not in p.kinds()[first : first + 100]
    assert p.frames[first].payload == b"\x00"


def test_reorder_and_duplicates() -> None:
    jb = JitterBuffer(8000, 20, start_delay_ms=60)
    p = Player(jb)
    order = list(range(60))
    for i in range(10, 50, 6):  # swap neighbours
        order[i], order[i + 1] = order[i + 1], order[i]
    last = 0.0
    for s in order:
        # a swapped packet arrives just after its neighbour: the buffer sees its real delay
        at = max(s * 20 + 30.0, last + 0.5)
        last = at
        p.run_until(at - 1)
        jb.put(s, s * FRAME, b"x", at)
        if s % 7 == 0:
            jb.put(s, s * FRAME, b"x", at + 1)
    drain(p)
    assert p.played() == list(range(60))
    st = jb.stats()
    assert st.duplicated == len([s for s in range(60) if s % 7 == 0])
    assert st.lost == 0


def test_sequence_wrap() -> None:
    jb = JitterBuffer(8000, 20)
    p = Player(jb)
    seqs = list(range(65500, 65600))
    feed(jb, p, seqs, first_seq=65500, ts0=0xFFFFF000)
    drain(p)
    assert p.played() == [s & 0xFFFF for s in seqs]
    assert jb.stats().lost == 0 and jb.stats().resyncs == 0


def test_loss_at_underrun_is_covered_by_the_hold() -> None:
    jb = JitterBuffer(8000, 20)  # shallow: at 40's turn nothing later is buffered yet
    p = Player(jb)
    feed(jb, p, [s for s in range(80) if s not in (40, 41, 42)])
    drain(p)
    assert p.played() == list(range(40)) + list(range(43, 80))
    assert jb.stats().lost == 3
    # the frames concealed while holding stand in for the lost packets: no lasting extra delay
    assert abs(p.offset_at[79] - p.offset_at[39]) < 20


def test_burst_loss_is_concealed_with_fec_hint() -> None:
    jb = JitterBuffer(8000, 20, min_delay_ms=60)  # deep enough for 43 to be there at 42's turn
    p = Player(jb)
    seqs = [s for s in range(80) if s not in (40, 41, 42)]
    feed(jb, p, seqs)
    drain(p)
    assert p.played() == seqs
    st = jb.stats()
    assert st.lost == 3
    conceals = [f for f in p.between_packets() if f.kind == FrameKind.CONCEAL]
    assert len(conceals) == 3
    # the concealment right before packet 43 knows 43 is there, and hands its payload for FEC
    hinted = [f for f in conceals if f.next_available]
    assert [f.sequence_number for f in hinted] == [42]
    assert hinted[0].next_payload == bytes([43])


def test_late_packet_is_counted_and_discarded() -> None:
    jb = JitterBuffer(8000, 20, max_delay_ms=200)
    p = Player(jb)
    feed(jb, p, [s for s in range(50) if s != 30])
    p.run_until(50 * 20 + 30 + 200)
    jb.put(30, 30 * FRAME, b"late", p.t)
    drain(p)
    assert 30 not in p.played()
    st = jb.stats()
    assert st.late == 1 and st.lost == 0  # it was not lost, only too late


def test_ssrc_change_resyncs() -> None:
    jb = JitterBuffer(8000, 20)
    p = Player(jb)
    feed(jb, p, list(range(50)))
    # a new source with unrelated numbering starts right after
    t0 = p.t
    for k in range(50):
        p.run_until(t0 + k * 20 + 29)
        jb.put((9000 + k) & 0xFFFF, 123456 + k * FRAME, b"n", t0 + k * 20 + 30, ssrc=77)
    drain(p)
    assert jb.stats().resyncs == 1
    played = p.played()
    assert played[-50:] == [9000 + k for k in range(50)]
    assert [f.ssrc for f in p.frames if f.kind == FrameKind.PACKET][-1] == 77


def test_dtx_gap_plays_silence_not_concealment() -> None:
    jb = JitterBuffer(8000, 20, max_expand_ms=60)
    p = Player(jb)
    feed(jb, p, list(range(50)))
    # 2 s of DTX: the next talk spurt has the next seq, a timestamp 2 s later and the marker bit
    base_t = 50 * 20 + 2000
    for k in range(50):
        p.run_until(base_t + k * 20 + 29)
        jb.put(50 + k, (50 + 100 + k) * FRAME, b"s", base_t + k * 20 + 30, marker=(k == 0))
    drain(p)
    assert p.played() == list(range(100))
    i50 = next(
        i for i, f in enumerate(p.frames) if f.kind == FrameKind.PACKET and f.sequence_number == 50
    )
    assert p.frames[i50].marker
    i49 = next(
        i for i, f in enumerate(p.frames) if f.kind == FrameKind.PACKET and f.sequence_number == 49
    )
    gap = p.kinds()[i49 + 1 : i50]
    # a short concealment tail (the codec fades out), then silence for the rest of the gap
    assert gap.count(FrameKind.SILENCE) >= 90
    assert gap.count(FrameKind.CONCEAL) <= 3
    assert jb.stats().lost == 0


def test_a_silence_gap_drops_pending_stretched_audio() -> None:
    # Audio left over from a stretched frame would delay the next talk spurt by that much; in
    # a DTX gap the silence is shortened by it instead, so the spurt starts on the output tick.
    jb = JitterBuffer(8000, 20)
    p = Player(jb)
    feed(jb, p, list(range(50)))
    drain(p, 100)
    jb.put(50, 150 * FRAME, b"s", p.t - 1, marker=True)  # the next spurt, 1 s of media later
    f = jb.get(p.t, 7.5)
    assert (f.kind, f.samples) == (FrameKind.SILENCE, FRAME - 60)
    assert jb.get(p.t + 20, 0.0).samples == FRAME
    # outside a gap (an underrun) the frame keeps its length
    jb2 = JitterBuffer(8000, 20)
    p2 = Player(jb2)
    feed(jb2, p2, list(range(50)))
    drain(p2, 100)
    assert jb2.get(p2.t, 7.5).samples == FRAME


def test_timestamp_jump_with_contiguous_sequence() -> None:
    jb = JitterBuffer(8000, 20)
    p = Player(jb)
    for k in range(60):
        p.run_until(k * 20 + 29)
        ts = k * FRAME if k < 30 else 5_000_000 + k * FRAME
        jb.put(k, ts, b"j", k * 20 + 30)
    drain(p)
    assert p.played() == list(range(60))


def target_after(jb: JitterBuffer, p: Player, t: float) -> float:
    p.run_until(t)
    return jb.stats().target_delay_ms


def test_delay_adapts_up_fast_and_down_slowly() -> None:
    jb = JitterBuffer(8000, 20, quantile=0.95, forget_factor=0.98)
    p = Player(jb)
    n = 0

    def send(count: int, jitter_of: Callable[[int], float]) -> None:
        nonlocal n
        for _ in range(count):
            arrival = n * 20 + 30 + jitter_of(n)
            p.run_until(arrival - 1)
            jb.put(n & 0xFFFF, n * FRAME, b"d", arrival)
            n += 1

    send(200, lambda k: 0.0)
    calm = jb.stats().target_delay_ms
    # a 200 ms stall: packets queue up and arrive together
    spike_start = n
    send(10, lambda k: 200.0 - (k - spike_start) * 20.0)
    after_spike = jb.stats().target_delay_ms
    assert after_spike > calm + 60
    targets = []
    for _ in range(6):
        send(25, lambda k: 0.0)
        targets.append(jb.stats().target_delay_ms)
    # decays gradually (not in one step) and returns close to the calm value
    assert targets[0] > calm + 30
    assert all(a >= b for a, b in itertools.pairwise(targets))
    assert targets[-1] < calm + 15
    # the playout offset followed the target down through accelerations, without skipping audio
    assert jb.stats().accelerated > 0
    assert jb.stats().lost == 0


def test_underrun_holds_playout_and_grows_delay() -> None:
    jb = JitterBuffer(8000, 20)
    p = Player(jb)
    feed(jb, p, list(range(40)))
    # packets 40..44 stall 100 ms, then arrive in a burst: nothing is lost, playout waits
    for s in range(40, 45):
        p.run_until(44 * 20 + 130 - 1)
        jb.put(s, s * FRAME, b"b", 44 * 20 + 130)
    feed(jb, p, list(range(45, 400)))
    p.run_until(p.t + 100)
    assert jb.stats().lost == 0
    assert jb.stats().concealed >= 3
    # The stall is most of what this young stream has seen, so the target rises to cover it:
    # the packets the hold concealed are dropped only down to that target, the rest play.
    assert 40 not in p.played() and 44 in p.played()
    first = min(s for s in range(40, 45) if s in p.played())
    assert jb.stats().discarded == first - 40
    assert p.offset_at[first] >= p.offset_at[39] + 60  # waited for the stalled packet
    assert p.offset_at[399] < p.offset_at[first] - 60  # and accelerated back as the target decayed


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clock_rate": 0},
        {"frame_ms": 0},
        {"min_delay_ms": 300, "max_delay_ms": 100},
        {"quantile": 1.5},
        {"max_delay_ms": 1_000_000},
        {"forget_factor": 1.0},
        {"history_ms": 0},
        {"accelerate_interval": 0},
    ],
)
def test_rejects_bad_configuration(kwargs: dict[str, float]) -> None:
    with pytest.raises(RtpError):
        JitterBuffer(**kwargs)


def test_before_start_and_empty_buffer_are_silence() -> None:
    jb = JitterBuffer()
    assert jb.get(0.0).kind == FrameKind.SILENCE
    jb.put(1, 0, b"a", 0.0)
    assert jb.get(1.0).kind == FrameKind.SILENCE  # waiting for the start delay
    assert len(jb) == 1


def test_default_target_rises_within_a_second_and_decays_over_tens_of_seconds() -> None:
    import random

    rnd = random.Random(1)
    jb = JitterBuffer()  # defaults
    p = Player(jb)
    n = 0

    def send(seconds: float, jitter_ms: float) -> None:
        nonlocal n
        for _ in range(int(seconds * 50)):
            arrival = n * 20 + 30 + rnd.uniform(0, jitter_ms)
            p.run_until(arrival - 1)
            jb.put(n & 0xFFFF, n * FRAME, b"d", arrival)
            n += 1

    send(10, 2)
    calm = jb.stats().target_delay_ms
    send(1, 80)  # jitter grows
    risen = jb.stats().target_delay_ms
    assert risen > calm + 40
    send(5, 2)
    after_5s = jb.stats().target_delay_ms
    send(40, 2)
    after_45s = jb.stats().target_delay_ms
    assert after_5s > calm + 30  # still covering the recent jitter
    assert after_45s < calm + 10  # eventually back
