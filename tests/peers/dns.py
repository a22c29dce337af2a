"""A private DNS server (dnsmasq) serving only the records a test gives it: NAPTR, SRV and A/AAAA
for RFC 3263 server location. It reads no resolv.conf and no hosts file, so it answers nothing
else (and forwards nothing anywhere). By default on 127.0.0.1 and a free port; with ``netns``
on a test host's address (port 53 unless given), as the PBX host's own DNS server."""

from __future__ import annotations

import shutil
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path

from .netns import Netns
from .ports import LOOPBACK4, free_port
from .procs import ManagedProcess, PeerError


@dataclass(frozen=True)
class Naptr:
    name: str
    order: int
    preference: int
    service: str  # "SIP+D2U", "SIP+D2T", "SIPS+D2T", "SIP+D2W", ...
    replacement: str  # the SRV name, e.g. "_sip._udp.example.test"
    flags: str = "s"


@dataclass(frozen=True)
class Srv:
    name: str  # "_sip._udp.example.test"
    target: str
    port: int
    priority: int = 0
    weight: int = 0


@dataclass
class DnsRecords:
    naptr: list[Naptr] = field(default_factory=list)
    srv: list[Srv] = field(default_factory=list)
    hosts: dict[str, list[str]] = field(default_factory=dict)  # name -> addresses

    def argv(self) -> list[str]:
        out = [f"--naptr-record={n.name},{n.order},{n.preference},{n.flags},{n.service},,"
               f"{n.replacement}" for n in self.naptr]  # fmt: skip
        out += [f"--srv-host={s.name},{s.target},{s.port},{s.priority},{s.weight}"
                for s in self.srv]  # fmt: skip
        out += [f"--host-record={name},{','.join(addrs)}" for name, addrs in self.hosts.items()]
        return out


@dataclass
class DnsServer:
    host: str
    port: int
    process: ManagedProcess

    @property
    def nameserver(self) -> str:
        """For ``UserAgentConfig.dns_servers`` / ``Resolver(nameservers=...)``."""
        return f"{self.host}:{self.port}"

    def stop(self) -> int | None:
        return self.process.stop()


def _answers(host: str, port: int, name: str) -> bool:
    """One A query over UDP: does the server answer (any rcode)?"""
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    query = struct.pack(">HHHHHH", 0x5EB, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(query, (host, port))
            return s.recv(512)[:2] == query[:2]
        except OSError:
            return False


def _probe(netns: Netns | None, host: str, port: int) -> bool:
    if netns is None:
        return _answers(host, port, "ready.invalid")
    return netns.call(_answers, host, port, "ready.invalid")


def start_dnsmasq(workdir: Path, records: DnsRecords, *, port: int | None = None,
                  host: str = LOOPBACK4, netns: Netns | None = None) -> DnsServer:  # fmt: skip
    """dnsmasq in the foreground on ``host``:<free port> with exactly ``records``; with
    ``netns`` inside that test host (``host`` one of its IPv4 addresses, port 53 by default)."""
    binary = shutil.which("dnsmasq", path="/usr/sbin:/usr/bin:/sbin")
    if binary is None:
        raise PeerError("dnsmasq not installed (Debian: dnsmasq-base)")
    workdir.mkdir(parents=True, exist_ok=True)
    if netns is not None and port is None:
        port = 53  # a test host of its own: the standard port is free
    for attempt in range(3):
        chosen = port or free_port(ipv6=False)
        argv = [
            *(netns.prefix() if netns else []),
            binary, "--no-daemon", "--no-resolv", "--no-hosts", "--no-poll",
            f"--port={chosen}", f"--listen-address={host}", "--bind-interfaces",
            "--conf-file=/dev/null", "--log-queries", "--log-facility=-", "--pid-file=",
            *records.argv(),
        ]  # fmt: skip
        proc = ManagedProcess("dnsmasq", argv, workdir / "dnsmasq.log", cwd=workdir)
        try:
            proc.wait_until(lambda p=chosen: _probe(netns, host, p), 5.0, "answering DNS")
        except PeerError:
            proc.stop()
            if attempt == 2 or port is not None:
                raise
            continue
        return DnsServer(host, chosen, proc)
    raise PeerError("dnsmasq did not start")
