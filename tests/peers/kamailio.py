"""Kamailio 5.6 as registrar + proxy on loopback: UDP, TCP, TLS, WS and WSS, IPv4 and IPv6.

Digest authentication without a database (passwords written into the config), registrations
in memory, record-routing, and WebSocket NAT handling so calls reach `.invalid` contacts.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .netns import Netns
from .ports import LOOPBACK4, LOOPBACK6, free_port, wait_tcp
from .procs import ManagedProcess, PeerError

CONFIG_TEMPLATE = Path(__file__).parent / "config" / "kamailio.cfg"
MODULE_PATH = "/usr/lib/x86_64-linux-gnu/kamailio/modules"

# Documented defaults (Siperb documentation: WSS on 8089, path /ws; plain WS 8088 by
# convention). Tests use free ports; these are for manual runs and examples.
DEFAULT_SIP_PORT = 5060
DEFAULT_TLS_PORT = 5061
DEFAULT_WS_PORT = 8088
DEFAULT_WSS_PORT = 8089
WS_PATH = "/ws"

# SIP domain and digest realm of the test accounts; an alias of the proxy (any port), so
# AoRs are `sip:1000@siperb.test` and clients reach the proxy by its loopback address.
DOMAIN = "siperb.test"
REALM = DOMAIN

# Test accounts: user -> password.
T = TypeVar("T")

ACCOUNTS: dict[str, str] = {str(u): f"pw{u}secret" for u in range(1000, 1006)}


def _here(fn: Callable[..., T], *args: Any) -> T:
    return fn(*args)


class KamailioRpcError(PeerError):
    """kamcmd reported an error (e.g. "404 AOR not found")."""


@dataclass(frozen=True)
class Binding:
    """One registration in Kamailio's location table: the contact, and the Call-ID and CSeq
    of the REGISTER that stored it (so a later REGISTER is told from the one before)."""

    address: str
    call_id: str
    cseq: int


def _rpc_field(block: str, name: str) -> str:
    """The value of `name:` in one block of kamcmd's output."""
    found = re.search(rf"\b{name}:\s*(\S+)", block)
    if found is None:
        raise KamailioRpcError(f"no {name} in kamcmd output: {block!r}")
    return found[1]


@dataclass(frozen=True)
class KamailioPorts:
    """Where one Kamailio instance listens (same numbers on 127.0.0.1 and ::1)."""

    sip: int  # UDP and TCP
    tls: int
    ws: int
    wss: int

    @classmethod
    def defaults(cls) -> KamailioPorts:
        return cls(DEFAULT_SIP_PORT, DEFAULT_TLS_PORT, DEFAULT_WS_PORT, DEFAULT_WSS_PORT)

    @classmethod
    def free(cls) -> KamailioPorts:
        return cls(free_port(), free_port(), free_port(), free_port())


def make_self_signed_cert(
    directory: Path, cn: str = "127.0.0.1", ips: tuple[str, ...] = ()
) -> tuple[Path, Path]:
    """A throw-away certificate + key for the TLS/WSS listeners, valid for loopback (and
    ``ips``, the addresses of a test host)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    san = ",".join(["IP:127.0.0.1", "IP:::1", *(f"IP:{ip}" for ip in ips), "DNS:localhost"])
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={cn}", "-addext", f"subjectAltName={san}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


def _password_route(accounts: dict[str, str]) -> str:
    lines = []
    for user, pw in accounts.items():
        if not user.isalnum() or '"' in pw or "\\" in pw:
            raise ValueError(f"account {user!r} cannot be written into kamailio.cfg")
        lines.append(f'\tif ($au == "{user}") {{ $var(pw) = "{pw}"; }}')
    return "\n".join(lines)


def render_config(
    ports: KamailioPorts,
    tls_cfg: Path,
    ctl_socket: Path,
    *,
    accounts: dict[str, str] | None = None,
    ipv6: bool = True,
    debug: int = 2,
    host4: str = LOOPBACK4,
    host6: str = LOOPBACK6,
    rtpengine_port: int | None = None,
    webrtc_bridge: bool = False,
) -> str:
    """The kamailio.cfg text for these ports and accounts, listening on ``host4`` (and
    ``host6`` when ``ipv6``). ``webrtc_bridge`` (with ``rtpengine_port``): rtpengine offers
    WebRTC media (UDP/TLS/RTP/SAVPF, ICE, DTLS-SRTP, rtcp-mux) to WebSocket clients and plain
    RTP/AVP to the others, whatever the caller offered."""
    hosts = [host4, f"[{host6}]"] if ipv6 else [host4]
    listen = "\n".join(
        line
        for h in hosts
        for line in (
            f"listen=udp:{h}:{ports.sip}",
            f"listen=tcp:{h}:{ports.sip}",
            f"listen=tls:{h}:{ports.tls}",
            f"listen=tcp:{h}:{ports.ws}",
            f"listen=tls:{h}:{ports.wss}",
        )
    )
    defines = ["#!define WITH_RTPENGINE"] if rtpengine_port else []
    if rtpengine_port and webrtc_bridge:
        defines.append("#!define WITH_WEBRTC_BRIDGE")
    values = {
        "DEFINES": "\n".join(defines),
        "RTPENGINE_PORT": str(rtpengine_port or 0),
        "DEBUG": str(debug),
        "REALM": REALM,
        "SIP_PORT": str(ports.sip),
        "TLS_PORT": str(ports.tls),
        "WS_PORT": str(ports.ws),
        "WSS_PORT": str(ports.wss),
        "WS_PATH": WS_PATH,
        "LISTEN": listen,
        "MODULE_PATH": MODULE_PATH,
        "TLS_CFG": str(tls_cfg),
        "CTL_SOCKET": str(ctl_socket),
        "PASSWORDS": _password_route(accounts if accounts is not None else ACCOUNTS),
    }
    text = CONFIG_TEMPLATE.read_text()
    for k, v in values.items():
        text = text.replace(f"@@{k}@@", v)
    if "@@" in text:
        raise ValueError("unfilled placeholder in kamailio.cfg template")
    return text


def _tls_cfg(cert: Path, key: Path) -> str:
    return (
        "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
        f"require_certificate = no\nprivate_key = {key}\ncertificate = {cert}\n\n"
        "[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
        "require_certificate = no\n"
    )


def options_ping(host: str, port: int, timeout: float = 1.0) -> str | None:
    """Send OPTIONS over UDP; return the reply's status line or None (readiness probe)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        lport = s.getsockname()[1]
        h = f"[{host}]" if family == socket.AF_INET6 else host
        branch = "z9hG4bK" + uuid.uuid4().hex
        msg = (
            f"OPTIONS sip:{h}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {h}:{lport};branch={branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:probe@{h}>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:{h}:{port}>\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        s.settimeout(timeout)
        s.sendto(msg.encode(), (host, port))
        try:
            data = s.recv(65535)
        except (TimeoutError, OSError):
            return None
        return data.split(b"\r\n", 1)[0].decode(errors="replace")


@dataclass
class Kamailio:
    """A running Kamailio; stop() ends it (and only it)."""

    workdir: Path
    ports: KamailioPorts
    process: ManagedProcess
    cert: Path
    key: Path
    ctl_socket: Path
    accounts: dict[str, str] = field(default_factory=lambda: dict(ACCOUNTS))
    ipv6: bool = True

    host: str = LOOPBACK4
    host6: str = LOOPBACK6
    netns: Netns | None = None  # the test host it runs on (None: this namespace, loopback)

    def uri(self, transport: str = "udp", host: str | None = None) -> str:
        """Proxy URI for a transport (udp, tcp, tls, ws, wss), e.g. as a client's outbound."""
        host = host or self.host
        h = f"[{host}]" if ":" in host else host
        if transport in ("udp", "tcp"):
            return f"sip:{h}:{self.ports.sip};transport={transport}"
        if transport == "tls":
            return f"sip:{h}:{self.ports.tls};transport=tls"
        if transport == "ws":
            return f"sip:{h}:{self.ports.ws};transport=ws"
        if transport == "wss":
            return f"sip:{h}:{self.ports.wss};transport=wss"
        raise ValueError(transport)

    def ws_url(self, secure: bool = False, host: str | None = None) -> str:
        host = host or self.host
        h = f"[{host}]" if ":" in host else host
        if secure:
            return f"wss://{h}:{self.ports.wss}{WS_PATH}"
        return f"ws://{h}:{self.ports.ws}{WS_PATH}"

    def aor(self, user: str) -> str:
        return f"sip:{user}@{DOMAIN}"

    def rpc(self, *args: str, timeout: float = 5.0) -> str:
        """A kamcmd RPC over the instance's private ctl socket (e.g. "ul.dump").

        Arguments go as strings (`s:` prefix), since kamcmd would turn "1000" into an int.
        """
        binary = shutil.which("kamcmd") or "/usr/sbin/kamcmd"
        out = subprocess.run(
            [binary, "-s", f"unix:{self.ctl_socket}", args[0], *(f"s:{a}" for a in args[1:])],
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if out.returncode != 0 or out.stdout.startswith("error:"):
            raise KamailioRpcError(f"kamcmd {' '.join(args)}: {out.stdout}{out.stderr}".strip())
        return out.stdout

    def bindings(self, user: str) -> list[Binding]:
        """`user`'s registrations as the registrar holds them (empty if none)."""
        try:
            out = self.rpc("ul.lookup", "location", user)
        except KamailioRpcError as e:
            if "not found" in str(e).lower():
                return []
            raise
        # One "Contact:" block per binding, each with its Address, Call-ID and CSeq.
        blocks = re.split(r"^\s*Contact:", out, flags=re.M)[1:]
        return [
            Binding(_rpc_field(b, "Address"), _rpc_field(b, "Call-ID"), int(_rpc_field(b, "CSeq")))
            for b in blocks
        ]

    def shared_memory(self) -> dict[str, int]:
        """Kamailio's shared memory (``core.shmmem``): total, free, used, real_used, max_used
        and fragments (the allocator's free-list entries), in bytes and counts."""
        out = self.rpc("core.shmmem")
        keys = ("total", "free", "used", "real_used", "max_used", "fragments")
        return {k: int(_rpc_field(out, k)) for k in keys}

    def contacts(self, user: str) -> list[str]:
        """Contact URIs currently registered for `user` (empty if none)."""
        return [b.address for b in self.bindings(user)]

    def wait_registered(self, user: str, timeout: float = 10.0, count: int = 1) -> list[str]:
        """Wait until `user` has at least `count` contacts; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.contacts(user)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise self.process.fail(f"{user} not registered (contacts: {found})")
            time.sleep(0.05)

    def unregister(self, user: str) -> None:
        """Drop all of `user`'s registrations, so a test starts from a clean location table."""
        if self.contacts(user):
            self.rpc("ul.rm", "location", user)

    def stop(self) -> int | None:
        return self.process.stop()

    def log(self) -> str:
        return self.process.log_text()


def start_kamailio(
    workdir: Path,
    *,
    ports: KamailioPorts | None = None,
    accounts: dict[str, str] | None = None,
    ipv6: bool = True,
    debug: int = 2,
    timeout: float = 15.0,
    shm_mb: int = 64,
    host4: str = LOOPBACK4,
    host6: str = LOOPBACK6,
    netns: Netns | None = None,
    rtpengine_port: int | None = None,
    webrtc_bridge: bool = False,
) -> Kamailio:
    """Write config + certificate into `workdir`, start Kamailio in the foreground, wait ready.

    `shm_mb` is its shared memory: every transaction lives there until tm's wait timer (5 s)
    ends it, so hundreds of calls per second need more than the 64 MB the tests use.
    `netns`: run inside that test host, listening on `host4`/`host6` (its addresses); its
    ports are then all free, so `ports` defaults to the standard ones. `rtpengine_port`: relay
    every call's media through the rtpengine whose ng port that is (127.0.0.1)."""
    binary = shutil.which("kamailio") or "/usr/sbin/kamailio"
    if not Path(binary).exists():
        raise PeerError("kamailio not installed (Debian: kamailio)")
    workdir.mkdir(parents=True, exist_ok=True)
    if ports is None and netns is not None:
        ports = KamailioPorts.defaults()
    if ports is None:
        for attempt in range(3):  # a free port taken before Kamailio bound it: pick others
            try:
                return start_kamailio(workdir, ports=KamailioPorts.free(), accounts=accounts,
                                      ipv6=ipv6, debug=debug, timeout=timeout,
                                      shm_mb=shm_mb, rtpengine_port=rtpengine_port,
                                      webrtc_bridge=webrtc_bridge)  # fmt: skip
            except PeerError as e:
                if "Address already in use" not in str(e) or attempt == 2:
                    raise
        raise AssertionError("unreachable")
    accounts = dict(accounts if accounts is not None else ACCOUNTS)
    cert, key = make_self_signed_cert(workdir, ips=(host4, host6) if netns else ())
    tls_cfg = workdir / "tls.cfg"
    tls_cfg.write_text(_tls_cfg(cert, key))
    cfg = workdir / "kamailio.cfg"
    run_dir = workdir / "run"
    run_dir.mkdir(exist_ok=True)
    ctl = run_dir / "ctl.sock"
    cfg.write_text(render_config(ports, tls_cfg, ctl, accounts=accounts, ipv6=ipv6, debug=debug,
                                 host4=host4, host6=host6,
                                 rtpengine_port=rtpengine_port,
                                 webrtc_bridge=webrtc_bridge))  # fmt: skip
    check = subprocess.run(
        [binary, "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30
    )
    if check.returncode != 0:
        raise PeerError(f"kamailio config check failed:\n{check.stderr[-3000:]}")
    argv = [
        *(netns.prefix() if netns else []), binary, "-DD", "-E", "-f", str(cfg),
        "-Y", str(run_dir), "-P", str(run_dir / "pid"),
        "-w", str(workdir), "-m", str(shm_mb), "-M", "8",
    ]  # fmt: skip
    proc = ManagedProcess("kamailio", argv, workdir / "kamailio.log", cwd=workdir)
    kam = Kamailio(workdir, ports, proc, cert, key, ctl, accounts, ipv6, host4, host6, netns)
    inside = netns.call if netns else _here
    sip_port = ports.sip
    try:
        proc.wait_until(lambda: inside(wait_tcp, host4, sip_port, 0.2), timeout, "listening on TCP")
        deadline = time.monotonic() + timeout
        while inside(options_ping, host4, sip_port, 0.5) is None:
            if time.monotonic() > deadline or not proc.alive():
                raise proc.fail("not answering OPTIONS over UDP")
    except BaseException:
        proc.stop()
        raise
    return kam


def dispatcher_flags(ctl: Path) -> dict[str, str]:
    """Destination URI -> dispatcher flags (``AP`` active+probing, ``IP`` inactive ...), read
    with ``kamcmd dispatcher.list`` over the control socket ``ctl``."""
    out = subprocess.run(
        ["kamcmd", "-s", f"unix:{ctl}", "dispatcher.list"],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    return dict(re.findall(r"URI: (\S+)\s+FLAGS: (\S+)", out.stdout))
