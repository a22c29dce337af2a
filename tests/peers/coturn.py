"""coturn (``turnserver``) on loopback for the STUN/TURN tests: one UDP listener on a free port,
long-term credentials for one user in realm ``siperb.test``, relay ports on 127.0.0.1 with
loopback peers allowed, no TLS/DTLS, no CLI, no database, log to a file in the session dir.
Started in the foreground in its own process group and stopped by PID (ManagedProcess)."""

from __future__ import annotations

import shutil
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

from .ports import LOOPBACK4, free_port
from .procs import ManagedProcess, PeerError

REALM = "siperb.test"
USER = "turnuser"
PASSWORD = "turnpass-siperb"


@dataclass
class Coturn:
    host: str
    port: int
    user: str
    password: str
    realm: str
    process: ManagedProcess

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def stop(self) -> int | None:
        return self.process.stop()


def _binding_answered(host: str, port: int) -> bool:
    """One STUN Binding request (RFC 8489, hand-built so that readiness does not depend on the
    code under test): does a success response with our transaction id come back?"""
    tid = b"siperb-ready"
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + tid
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(request, (host, port))
            data = s.recv(2048)
        except OSError:
            return False
    return len(data) >= 20 and data[0:2] == b"\x01\x01" and data[8:20] == tid


def start_coturn(workdir: Path, *, user: str = USER, password: str = PASSWORD, realm: str = REALM,
                 host: str = LOOPBACK4, extra: list[str] | None = None) -> Coturn:  # fmt: skip
    """turnserver on ``host``:<free port> with one long-term credential user."""
    binary = shutil.which("turnserver", path="/usr/bin:/usr/sbin:/bin")
    if binary is None:
        raise PeerError("turnserver not installed (Debian: coturn)")
    workdir.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):
        port = free_port(ipv6=False)
        relay_low = free_port(ipv6=False, both=False, span=1)
        argv = [
            binary, "-n", "--listening-ip", host, "--listening-port", str(port),
            "--relay-ip", host, "--min-port", str(relay_low), "--max-port", str(relay_low + 200),
            "--lt-cred-mech", "--user", f"{user}:{password}", "--realm", realm,
            "--no-tls", "--no-dtls", "--no-tcp-relay", "--no-cli", "--allow-loopback-peers",
            "--no-multicast-peers", "--userdb", str(workdir / "turndb.sqlite"),
            "--pidfile", str(workdir / "turnserver.pid"), "--log-file", "stdout",
            "--simple-log", "--fingerprint", "--verbose", *(extra or []),
        ]  # fmt: skip
        proc = ManagedProcess("turnserver", argv, workdir / "turnserver.log", cwd=workdir)
        try:
            proc.wait_until(lambda p=port: _binding_answered(host, p), 10.0, "answering STUN")
        except PeerError:
            proc.stop()
            if attempt == 2:
                raise
            continue
        return Coturn(host, port, user, password, realm, proc)
    raise PeerError("turnserver did not start")
