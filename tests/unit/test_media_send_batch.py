"""The engine thread's send and receive batches (csrc/media/send_batch.*, recv_batch.*): what
every due session sends in a run of ticks goes to the kernel in one io_uring submission, each
packet from its own session's port to its own destination, and what they received is read
through the same ring before their ticks; SIPERB_SEND_BATCH=off (or a kernel without io_uring)
sends and reads one socket at a time, SIPERB_RECV_BATCH=off reads so. The native programs
(tests/native/send_batch.cpp, recv_batch.cpp) check destinations, source ports, order, several
submissions, a burst and failed operations; here the engine itself is checked."""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from media_helpers import wait_until
from native_programs import run_native

from siperb import media


def _io_uring_allowed() -> bool:
    """What the kernel says (0: allowed for everyone); unknown counts as allowed."""
    try:
        return Path("/proc/sys/kernel/io_uring_disabled").read_text().strip() == "0"
    except OSError:
        return True


def _native(mode: str, program: str = "test_send_batch") -> list[str]:
    switches = ("SIPERB_SEND_BATCH", "SIPERB_RECV_BATCH")  # mode decides
    env = {k: v for k, v in os.environ.items() if k not in switches}
    return run_native(program, *([mode] if mode else []), env=env).splitlines()


def test_native_batch_destinations_source_ports_and_errors() -> None:
    lines = _native("")
    assert lines[0] == ("mode ring" if _io_uring_allowed() else "mode direct")
    assert len(lines) == 12 and all(line.startswith("ok ") for line in lines[1:]), lines


def test_native_direct_path_when_switched_off() -> None:
    lines = _native("off")
    assert lines[0] == "mode direct"
    assert all(line.startswith("ok ") for line in lines[1:]), lines


def _native_receive(mode: str) -> tuple[str, list[str]]:
    """Two passes (SIOCINQ probes on, then off as without them): the mode and the checks."""
    lines = [line for line in _native(mode, "test_recv_batch") if not line.startswith("probes ")]
    assert len(lines) == 20 and lines[10] == lines[0] + ", probes off", lines
    return lines[0], lines[1:10] + lines[11:]


def test_native_receive_batch_order_bursts_and_errors() -> None:
    mode, checks = _native_receive("")
    assert mode == ("mode ring" if _io_uring_allowed() else "mode direct")
    assert all(line.startswith("ok ") for line in checks), checks


def test_native_receive_direct_path_when_switched_off() -> None:
    mode, checks = _native_receive("off")
    assert mode == "mode direct"
    assert all(line.startswith("ok ") for line in checks), checks


@pytest.fixture(params=["on", "off"])
def engine(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[media.Engine]:
    # Read by each engine thread when it first sends, so a new engine sees the variable.
    monkeypatch.setenv("SIPERB_SEND_BATCH", request.param)
    e = media.Engine(threads=2)
    yield e
    e.stop()


def test_sessions_send_from_their_own_ports_to_their_own_peers(engine: media.Engine) -> None:
    """Twelve sessions on two threads each send to their own plain UDP peer: every peer hears
    RTP only from its session's RTP port, with that session's SSRC."""
    peers, sessions = _paired_sessions(engine, "sendonly")
    for sock in peers:
        sock.setblocking(False)
    heard: list[list[tuple[int, int]]] = [[] for _ in peers]

    def enough() -> bool:
        for i, sock in enumerate(peers):
            while True:
                try:
                    data, addr = sock.recvfrom(2048)
                except BlockingIOError:
                    break
                if len(data) >= 12 and data[0] >> 6 == 2 and data[1] & 0x7F == 0:
                    heard[i].append((addr[1], struct.unpack_from("!I", data, 8)[0]))
        return all(len(h) >= 10 for h in heard)

    assert wait_until(enough, timeout=10.0)
    for s, h in zip(sessions, heard, strict=True):
        assert {port for port, _ in h} == {s.local_port}
        assert {ssrc for _, ssrc in h} == {s.ssrc}
    stats = engine.stats()
    batched = os.environ["SIPERB_SEND_BATCH"] == "on" and _io_uring_allowed()
    if batched:
        # Sessions of one phase bin share a submission: fewer system calls than packets.
        assert stats["batched_packets"] >= 120
        assert 0 < stats["send_submits"] < stats["batched_packets"]
    else:
        assert stats["batched_packets"] == stats["send_submits"] == 0
    for s in sessions:
        assert s.stats().send_errors == 0
        s.close()
    for sock in peers:
        sock.close()


def test_sessions_receive_their_own_packets(engine: media.Engine) -> None:
    """Twelve receiving sessions on two threads, each fed by its own UDP sender with its own
    SSRC: each session gets all 40 of its packets, none lost or from a foreign source; with
    the ring they are read in batches (fewer submissions than datagrams)."""
    senders, sessions = _paired_sessions(engine, "recvonly")
    for seq in range(40):
        for i, sock in enumerate(senders):
            header = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0x1000 + i)
            sock.sendto(header + b"\xff" * 160, ("127.0.0.1", sessions[i].local_port))
        time.sleep(0.02)

    assert wait_until(lambda: all(s.stats().packets_received == 40 for s in sessions), timeout=10.0)
    for i, s in enumerate(sessions):
        st = s.stats()
        assert (st.remote_ssrc, st.packets_lost, st.foreign_source) == (0x1000 + i, 0, 0)
    stats = engine.stats()
    if os.environ["SIPERB_SEND_BATCH"] == "on" and _io_uring_allowed():
        # Each drain reads its first two datagrams through the ring, a longer burst by recvmmsg:
        # even delivered in bursts of 8 (ticks 160 ms late), a fourth of them.
        assert stats["batched_reads"] >= 12 * 10
        assert 0 < stats["recv_submits"] < stats["batched_reads"]
    else:
        assert stats["batched_reads"] == stats["recv_submits"] == 0
    for s in sessions:
        s.close()
    for sock in senders:
        sock.close()


def _paired_sessions(
    engine: media.Engine, direction: str, count: int = 12
) -> tuple[list[socket.socket], list[media.MediaSession]]:
    """``count`` started PCMU sessions, each with its own loopback UDP socket as the far end."""
    socks, sessions = [], []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        s = engine.session()
        s.start(
            media.StreamParams(
                codec="PCMU", clock_rate=8000, payload_type=0, local_payload_type=0,
                remote_address="127.0.0.1", remote_port=sock.getsockname()[1], direction=direction,
            )
        )  # fmt: skip
        socks.append(sock)
        sessions.append(s)
    return socks, sessions
