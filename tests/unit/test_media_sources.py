"""Where a call's media may come from: RTP and RTCP only from the negotiated remote, latching to
another source only after several consecutive packets while the negotiated one is silent (NAT),
an SSRC change proven by in-sequence packets before the statistics restart, and statistics that
stay physically possible whatever arrives."""

from __future__ import annotations

import random
import socket
import time

import numpy as np
import pytest
from media_helpers import connected_peer, dominant_frequency, wait_until

from siperb import media


@pytest.fixture(scope="module")
def engine():
    e = media.Engine()
    yield e
    e.stop()


def params(port: int, **kw) -> media.StreamParams:
    base = dict(
        codec="PCMU", clock_rate=8000, payload_type=0, local_payload_type=0,
        telephone_event_pt=101, remote_address="127.0.0.1", remote_port=port,
    )  # fmt: skip
    base.update(kw)
    return media.StreamParams(**base)


def rtp(seq: int, ts: int, ssrc: int, payload: bytes = bytes(160)) -> bytes:
    header = (
        bytes([0x80, 0]) + (seq & 0xFFFF).to_bytes(2, "big") + (ts & 0xFFFFFFFF).to_bytes(4, "big")
    )
    return header + ssrc.to_bytes(4, "big") + payload


def energy_at(x: np.ndarray, rate: int, f: float) -> float:
    """The share of the spectrum's energy within 20 Hz of f."""
    spectrum = np.abs(np.fft.rfft(x.astype(float) * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    return float(spectrum[(freqs > f - 20) & (freqs < f + 20)].sum() / spectrum.sum())


@pytest.mark.parametrize("symmetric", [False, True])
def test_a_foreign_stream_is_not_mixed_into_the_call(engine, symmetric):
    b = engine.session(media.SessionConfig(symmetric_rtp=symmetric))
    a = engine.session()  # the peer the SDP names, 1 kHz
    f = engine.session()  # anyone else who found b's port, 440 Hz
    b.start(params(a.local_port))
    a.start(params(b.local_port))
    f.start(params(b.local_port))
    sink = media.MemorySink(8000, 8000 * 4)
    b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(1000, 3, 8000), 8000, loop=True))
    f.set_source(media.MemorySource(media.tone(440, 3, 8000), 8000, loop=True))
    engine.poll_events()
    try:
        assert wait_until(lambda: len(sink) >= 8000 * 2.5)
        got = sink.samples()[8000 // 2 :]
        assert abs(dominant_frequency(got, 8000) - 1000) < 10
        assert energy_at(got, 8000, 440) < 0.01, "the foreign 440 Hz stream was played"
        s = b.stats()
        # Counted while they reached b; once b's socket is connected to its settled peer a, the
        # kernel drops them unread (test_media_connected.py).
        assert s.foreign_source > 50 or connected_peer(b.local_port) == a.local_port
        # b keeps sending to the negotiated peer, not to the intruder.
        moved = [e for e in engine.poll_events() if e.name == "remote_address_changed"]
        assert not [e for e in moved if e["port"] == f.local_port]
        assert wait_until(lambda: a.stats().packets_received > 20)
    finally:
        for s in (a, b, f):
            s.close()


@pytest.mark.parametrize("symmetric", [False, True])
def test_media_from_another_address_is_latched_when_the_negotiated_one_is_silent(engine, symmetric):
    # The NAT case: the SDP names an address nothing comes from; the peer's media arrives from
    # another one, and is played after a few consecutive packets.
    b = engine.session(media.SessionConfig(symmetric_rtp=symmetric))
    a = engine.session()
    b.start(params(9))
    a.start(params(b.local_port))
    sink = media.MemorySink(8000, 8000 * 3)
    b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(1000, 3, 8000), 8000, loop=True))
    engine.poll_events()
    try:
        assert wait_until(lambda: len(sink) >= 8000 * 1.5)
        assert abs(dominant_frequency(sink.samples()[4000:], 8000) - 1000) < 10
        assert b.stats().foreign_source < 10  # only the packets before the latch
        if symmetric:  # and b answers to where the media comes from
            assert wait_until(lambda: a.stats().packets_received > 10)
    finally:
        a.close()
        b.close()


def _send(sock: socket.socket, port: int, packets: list[bytes], interval: float = 0.005) -> None:
    for pkt in packets:
        sock.sendto(pkt, ("127.0.0.1", port))
        time.sleep(interval)


def test_random_sequence_numbers_keep_the_statistics_physical(engine):
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(("127.0.0.1", 0))
    b = engine.session(media.SessionConfig(stats_interval_ms=100))
    b.start(params(sender.getsockname()[1]))
    rng = random.Random(5)
    try:
        # A sound start, then the call's own SSRC with random sequence numbers and timestamps.
        good = [rtp(i, i * 160, 0xCA11) for i in range(20)]
        noise = [rtp(rng.randrange(65536), rng.randrange(1 << 32), 0xCA11) for _ in range(300)]
        _send(sender, b.local_port, good + noise)
        assert wait_until(lambda: b.stats().packets_received >= 300)
        time.sleep(0.3)
        s = b.stats()
        assert 0.0 <= s.loss_percent <= 100.0, s.loss_percent
        assert s.packets_lost >= 0, s.packets_lost
        assert 0.0 <= s.jitter_ms <= 10_000.0, s.jitter_ms
        assert 0.0 <= s.r_factor <= 100.0 and 1.0 <= s.mos <= 4.5, (s.r_factor, s.mos)
    finally:
        sender.close()
        b.close()


def test_an_ssrc_change_is_proven_before_the_statistics_restart(engine):
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(("127.0.0.1", 0))
    b = engine.session()
    b.start(params(sender.getsockname()[1]))
    rng = random.Random(9)
    try:
        _send(sender, b.local_port, [rtp(i, i * 160, 0xAAAA) for i in range(30)])
        assert wait_until(lambda: b.stats().remote_ssrc == 0xAAAA)
        # Stray packets, each with an SSRC of its own: the source stays.
        strays = [rtp(rng.randrange(65536), 0, rng.randrange(1, 1 << 32)) for _ in range(40)]
        _send(sender, b.local_port, strays)
        time.sleep(0.2)
        assert b.stats().remote_ssrc == 0xAAAA
        # A real change: in-sequence packets from the new SSRC.
        _send(sender, b.local_port, [rtp(1000 + i, i * 160, 0xBBBB) for i in range(10)])
        assert wait_until(lambda: b.stats().remote_ssrc == 0xBBBB)
    finally:
        sender.close()
        b.close()


def test_rtcp_from_a_foreign_host_is_dropped(engine):
    from siperb.media import rtcp

    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    intruder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    intruder.bind(("127.0.0.2", 0))  # another host
    b = engine.session(media.SessionConfig(symmetric_rtp=True))
    b.start(params(peer.getsockname()[1]))
    bye = rtcp.build_compound([rtcp.RtcpReceiverReport(ssrc=7), rtcp.RtcpBye([7], "bye")])
    engine.poll_events()
    try:
        _send(peer, b.local_port, [rtp(i, i * 160, 7) for i in range(5)])
        intruder.sendto(bye, ("127.0.0.1", b.local_port + 1))
        time.sleep(0.3)
        assert not [e for e in engine.poll_events() if e.name == "rtcp_bye"]
        assert b.stats().rtcp_received == 0
        peer.sendto(bye, ("127.0.0.1", b.local_port + 1))  # the peer's host, another port
        assert wait_until(lambda: any(e.name == "rtcp_bye" for e in engine.poll_events()))
    finally:
        peer.close()
        intruder.close()
        b.close()
