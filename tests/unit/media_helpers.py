"""Test helpers for the media engine: a lossy/reordering UDP relay and signal analysis."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt


def wait_until(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll cond every 10 ms; True as soon as it holds (tests then assert on real state)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def connected_peer(port: int) -> int | None:
    """The port the UDP socket on 127.0.0.1:port is connect()ed to, None when it is not (from
    /proc/net/udp: the remote address and the state, 01 for connected)."""
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        host, local = fields[1].split(":")
        if host == "0100007F" and int(local, 16) == port:
            return int(fields[2].split(":")[1], 16) if fields[3] == "01" else None
    raise AssertionError(f"no UDP socket on 127.0.0.1:{port}")


def closed_udp_port() -> int:
    """A loopback UDP port nothing listens on (bound, then closed): packets sent there come back
    as ICMP port-unreachable errors."""
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed.bind(("127.0.0.1", 0))
    port: int = closed.getsockname()[1]
    closed.close()
    return port


class UdpRelay:
    """Forwards datagrams from its port to ``target``: drops, delays (reorders) or replays some.

    Decisions come from a seeded RNG, so a run is reproducible. ``tamper`` flips a payload byte
    of a copy that is sent in addition (a forgery); ``replay`` re-sends an old datagram.
    """

    def __init__(
        self,
        target: tuple[str, int],
        *,
        drop: float = 0.0,
        reorder: float = 0.0,
        replay: float = 0.0,
        tamper: float = 0.0,
        seed: int = 1,
        family: int = socket.AF_INET,
    ):
        self.target = target
        self.drop, self.reorder, self.replay, self.tamper = drop, reorder, replay, tamper
        self.rng = random.Random(seed)
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.forwarded = self.dropped = self.reordered = self.replayed = self.tampered = 0
        self.history: list[bytes] = []
        self._held: bytes | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _send(self, data: bytes) -> None:
        self.sock.sendto(data, self.target)
        self.forwarded += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            self.history.append(data)
            r = self.rng.random()
            if r < self.drop:
                self.dropped += 1
                continue
            if self.rng.random() < self.reorder and self._held is None:
                self._held = data  # goes out after the next one
                self.reordered += 1
                continue
            self._send(data)
            if self._held is not None:
                self._send(self._held)
                self._held = None
            if self.replay and self.rng.random() < self.replay and len(self.history) > 5:
                self._send(self.history[-5])
                self.replayed += 1
            if self.tamper and self.rng.random() < self.tamper:
                forged = bytearray(data)
                forged[-1] ^= 0x55
                seq = (int.from_bytes(data[2:4], "big") + 100) & 0xFFFF
                forged[2:4] = seq.to_bytes(2, "big")  # a fresh index: caught by auth, not replay
                self._send(bytes(forged))
                self.tampered += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def dominant_frequency(x: npt.NDArray[np.int16], rate: int) -> float:
    """The frequency of the FFT's largest bin (Hann window)."""
    xf = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    xf[0] = 0
    return float(np.argmax(xf) * rate / len(x))


def rms(x: npt.NDArray[np.int16]) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def best_lag(
    reference: npt.NDArray[np.int16], received: npt.NDArray[np.int16], max_lag: int
) -> int:
    """The delay of reference inside received (cross-correlation over 0..max_lag)."""
    ref = reference.astype(np.float64)
    rec = received.astype(np.float64)
    n = min(len(ref), len(rec) - max_lag)
    scores = [float(np.dot(ref[:n], rec[lag : lag + n])) for lag in range(max_lag)]
    return int(np.argmax(scores))


def opus_band_hz(packet: bytes) -> int:
    """The audio band an Opus packet codes, in Hz, from its TOC byte (RFC 6716 3.1, Table 2)."""
    config = packet[0] >> 3
    if config < 12:  # SILK only: narrow, medium, wide band, four configs each
        return (4000, 6000, 8000)[config // 4]
    if config < 16:  # hybrid: super-wide, full band, two each
        return (12000, 20000)[(config - 12) // 2]
    return (4000, 8000, 12000, 20000)[(config - 16) // 4]  # CELT only: NB, WB, SWB, FB
