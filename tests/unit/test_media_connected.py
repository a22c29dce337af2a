"""Connected RTP sockets (csrc/media/rtp_transport.hpp): once a plain RTP session's peer is
settled (the source it takes RTP from is where it sends, and was heard lately) its RTP socket is
connect()ed to that peer, and disconnected before anything that needs other sources (the peer
going quiet, a new remote, a latch). What the kernel says about each socket is read from
/proc/net/udp (media_helpers.connected_peer)."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import pytest
from media_helpers import closed_udp_port, connected_peer, dominant_frequency, wait_until

from siperb import media
from siperb.events import Event


@pytest.fixture
def engine():
    e = media.Engine(threads=2)
    yield e
    e.stop()


def params(port: int, **kw: object) -> media.StreamParams:
    base: dict[str, object] = dict(
        codec="PCMU", clock_rate=8000, payload_type=0, local_payload_type=0,
        remote_address="127.0.0.1", remote_port=port,
    )  # fmt: skip
    base.update(kw)
    return media.StreamParams(**base)  # type: ignore[arg-type]


def rtp(seq: int, ssrc: int) -> bytes:
    return (
        bytes([0x80, 0])
        + seq.to_bytes(2, "big")
        + (seq * 160).to_bytes(4, "big")
        + ssrc.to_bytes(4, "big")
        + bytes(160)
    )


def tone_call(engine: media.Engine, cfg_b: media.SessionConfig | None = None):
    """a (1 kHz) and b (2 kHz) negotiated with each other, started, b's sink attached."""
    a = engine.session()
    b = engine.session(cfg_b)
    a.set_source(media.MemorySource(media.tone(1000, 3, 8000), 8000, loop=True))
    b.set_source(media.MemorySource(media.tone(2000, 3, 8000), 8000, loop=True))
    sink = media.MemorySink(8000, 8000 * 4)
    b.set_sink(sink)
    a.start(params(b.local_port))
    b.start(params(a.local_port))
    return a, b, sink


def test_settled_peers_are_connected_and_keep_talking(engine):
    a, b, sink = tone_call(engine)
    try:
        assert wait_until(
            lambda: (
                connected_peer(a.local_port) == b.local_port
                and connected_peer(b.local_port) == a.local_port
            )
        )
        # RTCP sockets stay open to anyone (a report every few seconds; another port may send it).
        assert (
            connected_peer(a.local_rtcp_port) is None and connected_peer(b.local_rtcp_port) is None
        )
        got_a, got_b = a.stats().packets_received, b.stats().packets_received
        sink.clear()
        assert wait_until(lambda: len(sink) >= 8000)  # a second played after connecting
        assert abs(dominant_frequency(sink.samples(), 8000) - 1000) < 10
        assert a.stats().packets_received >= got_a + 40 and b.stats().packets_received >= got_b + 40
        assert a.stats().send_errors == b.stats().send_errors == 0
    finally:
        a.close()
        b.close()


def test_another_source_is_not_played_once_connected(engine):
    a, b, _sink = tone_call(engine)
    intruder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    intruder.bind(("127.0.0.1", 0))
    try:
        assert wait_until(lambda: connected_peer(b.local_port) == a.local_port)
        before = b.stats()
        for seq in range(60):  # well past the latch's four packets, while a talks
            intruder.sendto(rtp(seq, 0xBAD), ("127.0.0.1", b.local_port))
        assert wait_until(lambda: b.stats().packets_received >= before.packets_received + 25)
        after = b.stats()
        assert after.remote_ssrc == a.ssrc
        # The kernel dropped them before any read: not even counted as foreign.
        assert after.foreign_source == before.foreign_source
        assert connected_peer(b.local_port) == a.local_port
    finally:
        intruder.close()
        a.close()
        b.close()


@pytest.mark.parametrize("symmetric", [False, True])
def test_a_latched_source_is_connected_only_where_media_goes(engine, symmetric):
    # The NAT case: the SDP names a port nothing comes from; a's media latches.
    b = engine.session(media.SessionConfig(symmetric_rtp=symmetric))
    a = engine.session()
    b.start(params(9))
    a.start(params(b.local_port))
    a.set_source(media.MemorySource(media.tone(1000, 3, 8000), 8000, loop=True))
    try:
        assert wait_until(lambda: b.stats().packets_received > 20)
        if symmetric:  # b now sends to a: settled, connected, and a hears b (and connects)
            assert wait_until(lambda: connected_peer(b.local_port) == a.local_port)
            got = a.stats().packets_received
            assert wait_until(lambda: a.stats().packets_received > got + 20)
            assert wait_until(lambda: connected_peer(a.local_port) == b.local_port)
        else:  # b still sends to the negotiated port 9: no one peer, no connection either side
            assert connected_peer(b.local_port) is None
            assert connected_peer(a.local_port) is None
    finally:
        a.close()
        b.close()


def test_a_reinvite_to_a_new_address_reconnects(engine):
    a, b, _sink = tone_call(engine)
    c = engine.session()
    c.set_source(media.MemorySource(media.tone(3000, 3, 8000), 8000, loop=True))
    try:
        assert wait_until(lambda: connected_peer(b.local_port) == a.local_port)
        c.start(params(b.local_port))  # dropped by b's kernel until b moves to c
        b.update(params(c.local_port))
        assert wait_until(lambda: connected_peer(b.local_port) == c.local_port)
        assert wait_until(lambda: b.stats().remote_ssrc == c.ssrc)
        got = c.stats().packets_received
        assert wait_until(lambda: c.stats().packets_received > got + 20)
    finally:
        for s in (a, b, c):
            s.close()


def test_a_quiet_peer_is_disconnected_and_its_new_address_latched(engine):
    # The peer's NAT rebinds: its media stops on the old port and comes from a new one. b
    # disconnects when the old source goes quiet, latches the new one and connects to it.
    a, b, _sink = tone_call(engine, media.SessionConfig(symmetric_rtp=True))
    try:
        assert wait_until(lambda: connected_peer(b.local_port) == a.local_port)
        a.set_direction("recvonly")  # a stops sending
        assert wait_until(lambda: connected_peer(b.local_port) is None)
        c = engine.session()
        c.set_source(media.MemorySource(media.tone(3000, 3, 8000), 8000, loop=True))
        c.start(params(b.local_port))
        assert wait_until(lambda: connected_peer(b.local_port) == c.local_port)
        assert wait_until(lambda: b.stats().remote_ssrc == c.ssrc)
        got = c.stats().packets_received
        assert wait_until(lambda: c.stats().packets_received > got + 20)  # b answers c
        c.close()
    finally:
        a.close()
        b.close()


def test_wildcard_bound_sockets_are_not_connected(engine):
    a = engine.session(local_address="0.0.0.0")
    b = engine.session()
    b.start(params(a.local_port))
    a.start(params(b.local_port))
    try:
        assert wait_until(
            lambda: a.stats().packets_received > 20 and connected_peer(b.local_port) == a.local_port
        )
        for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == a.local_port:
                assert fields[3] == "07", line  # unconnected
    finally:
        a.close()
        b.close()


def test_icmp_errors_reach_the_tick_read_with_their_destination(engine):
    # RTP sockets read at ticks are not in epoll: the tick's read meets the socket's error and
    # drains its error queue, which names where each unreachable packet went.
    port = closed_udp_port()
    a = engine.session()
    b = engine.session()
    engine.poll_events()
    a.start(params(port))
    try:
        events: list[Event] = []
        assert wait_until(
            lambda: (
                events.extend(e for e in engine.poll_events() if e.name == "icmp_error")
                or bool(events)
            )
        )
        assert {(e["port"], e["errno"]) for e in events} == {(port, errno.ECONNREFUSED)}
        assert wait_until(
            lambda: a.stats().icmp_errors >= 10
        )  # one a packet, the queue drained each time
        # The socket is not jammed by what its error queue held: the call moves on and talks.
        b.start(params(a.local_port))
        a.update(params(b.local_port))
        assert wait_until(lambda: connected_peer(a.local_port) == b.local_port)
        got = a.stats().packets_received
        assert wait_until(lambda: a.stats().packets_received > got + 20)
    finally:
        a.close()
        b.close()
