"""rtpengine 10.5 (Debian `rtpengine-daemon`) as the media relay of a test Kamailio.

Userspace forwarding only (``--table=-1``: no kernel module, no iptables), no config file,
its ng control protocol on loopback for Kamailio's rtpengine module. It latches onto where
each side's RTP really comes from, so it relays media for phones behind symmetric NATs.
"""

from __future__ import annotations

import random
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from .netns import Netns
from .ports import LOOPBACK4, free_port
from .procs import ManagedProcess, PeerError

NG_PORT = 22222


def loopback_ports() -> tuple[int, tuple[int, int]]:
    """A free ng port and a media port range for an rtpengine on 127.0.0.1."""
    ng = free_port(ipv6=False, both=True)
    first = random.randrange(40000, 59000, 2)
    return ng, (first, first + 199)


def ng_ping(host: str, port: int, timeout: float = 0.5) -> bool:
    """The ng protocol's ping (bencode, with a cookie): True on pong."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(b"probe d7:command4:pinge", (host, port))
            return b"pong" in s.recv(1000)
        except OSError:
            return False


@dataclass
class RtpEngine:
    process: ManagedProcess
    ng_port: int

    def stop(self) -> int | None:
        return self.process.stop()


def start_rtpengine(
    workdir: Path, media_host: str, *, netns: Netns | None = None, ng_port: int = NG_PORT,
    ports: tuple[int, int] = (30000, 30999), timeout: float = 10.0,
) -> RtpEngine:  # fmt: skip
    """Relay media on ``media_host``; control on 127.0.0.1:``ng_port`` (of ``netns``).

    On the host's own loopback (no ``netns``), pass free ports (:func:`loopback_ports`) so
    parallel test runs do not collide."""
    binary = shutil.which("rtpengine")
    if binary is None:
        raise PeerError("rtpengine not installed (Debian: rtpengine-daemon)")
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [
        *(netns.prefix() if netns else []), binary, "--config-file=none", "--foreground",
        "--log-stderr", "--table=-1", f"--interface={media_host}",
        f"--listen-ng={LOOPBACK4}:{ng_port}", f"--port-min={ports[0]}", f"--port-max={ports[1]}",
    ]  # fmt: skip
    proc = ManagedProcess("rtpengine", argv, workdir / "rtpengine.log", cwd=workdir)
    inside = netns.call if netns else (lambda fn, *a: fn(*a))
    try:
        proc.wait_until(lambda: bool(inside(ng_ping, LOOPBACK4, ng_port)), timeout, "ponging")
    except BaseException:
        proc.stop()
        raise
    return RtpEngine(proc, ng_port)
