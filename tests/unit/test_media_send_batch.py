"""The engine thread's send batch (csrc/media/send_batch.*): what every due session sends in a
run of ticks goes to the kernel in one io_uring submission, each packet from its own session's
port to its own destination; SIPERB_SEND_BATCH=off (or a kernel without io_uring) sends one by
one. The native program (tests/native/send_batch.cpp) checks destinations, source ports,
several submissions and a failed send in a batch; here the engine itself is checked."""

from __future__ import annotations

import os
import socket
import struct
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


def _native(mode: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIPERB_SEND_BATCH"}  # mode decides
    return run_native("test_send_batch", *([mode] if mode else []), env=env).splitlines()


def test_native_batch_destinations_source_ports_and_errors() -> None:
    lines = _native("")
    assert lines[0] == ("mode ring" if _io_uring_allowed() else "mode direct")
    assert len(lines) == 10 and all(line.startswith("ok ") for line in lines[1:]), lines


def test_native_direct_path_when_switched_off() -> None:
    lines = _native("off")
    assert lines[0] == "mode direct"
    assert all(line.startswith("ok ") for line in lines[1:]), lines


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
    peers = []
    sessions = []
    for _ in range(12):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        s = engine.session()
        s.start(
            media.StreamParams(
                codec="PCMU", clock_rate=8000, payload_type=0, local_payload_type=0,
                remote_address="127.0.0.1", remote_port=sock.getsockname()[1], direction="sendonly",
            )
        )  # fmt: skip
        peers.append(sock)
        sessions.append(s)
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
