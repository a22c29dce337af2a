"""Network namespaces as test hosts: veth links, addresses, routes, nftables, programs inside.

Needs root and iproute2 (`ip netns`); nftables (`nft`) for NAT. Only documentation prefixes are
used (RFC 5737 198.51.100.0/24 and 203.0.113.0/24, RFC 3849 2001:db8::/32) and no namespace
gets a default route, so nothing can leave the machine. Namespaces are named
``sbn<pid>-<host>``: :func:`remove_leftovers` deletes those of runs whose process is gone
(a killed session), never those of a live run. Links are created inside the namespaces
(``ip -n A link add ... peer ... netns B``), so no name is ever taken in the host's namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
PREFIX = "sbn"
NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


class NetnsError(RuntimeError):
    """An `ip`/`nft` command failed; the message has its output."""


def unavailable_reason() -> str | None:
    """Why namespaces cannot be built here (None when they can)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip", path="/usr/sbin:/sbin:/usr/bin:/bin") is None:
        return "`ip` not installed (Debian iproute2; scripts/bootstrap.sh)"
    probe = f"{PREFIX}{os.getpid()}-probe"
    try:
        sh("ip", "netns", "add", probe)
        sh("ip", "netns", "del", probe)
    except NetnsError as e:
        return f"`ip netns add` fails here: {e}"
    return None


def sh(*argv: str, input_text: str | None = None, timeout: float = 20.0) -> str:
    """Run one command; raise NetnsError with its output when it fails."""
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    out = subprocess.run(list(argv), input=input_text, capture_output=True, text=True,
                         timeout=timeout, env=env)  # fmt: skip
    if out.returncode != 0:
        raise NetnsError(f"{' '.join(argv)}: {out.stdout}{out.stderr}".strip())
    return out.stdout


def remove_leftovers() -> list[str]:
    """Delete namespaces left by test runs whose process no longer exists; their names."""
    removed = []
    names = NETNS_DIR.iterdir() if NETNS_DIR.is_dir() else iter(())
    for entry in names:
        m = re.fullmatch(rf"{PREFIX}(\d+)-\w+", entry.name)
        if m is None or Path(f"/proc/{m.group(1)}").exists():
            continue
        try:
            sh("ip", "netns", "del", entry.name)
            removed.append(entry.name)
        except NetnsError:
            pass
    return removed


class Netns:
    """One namespace (a host): commands and Python callables run inside it."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.name = f"{PREFIX}{os.getpid()}-{host}"
        sh("ip", "netns", "add", self.name)
        self.ip("link", "set", "lo", "up")

    def prefix(self) -> list[str]:
        """Prepended to a program's argv to start it inside (``ip netns exec NAME``)."""
        return ["ip", "netns", "exec", self.name]

    def ip(self, *args: str) -> str:
        return sh("ip", "-n", self.name, *args)

    def exec(self, *argv: str, input_text: str | None = None, timeout: float = 20.0) -> str:
        return sh(*self.prefix(), *argv, input_text=input_text, timeout=timeout)

    def sysctl(self, key: str, value: str) -> None:
        self.exec("sysctl", "-q", "-w", f"{key}={value}")

    def nft(self, ruleset: str) -> None:
        """Load an nftables ruleset (``nft -f -``) into this namespace."""
        self.exec("nft", "-f", "-", input_text=ruleset)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a thread that entered this namespace: the sockets it opens (and
        the threads it starts) live here; the caller's own thread is untouched."""
        box: dict[str, Any] = {}

        def body() -> None:
            try:
                fd = os.open(NETNS_DIR / self.name, os.O_RDONLY)
                try:
                    if _libc.setns(fd, CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns {self.name}: {os.strerror(err)}")
                finally:
                    os.close(fd)
                box["value"] = fn(*args)
            except BaseException as e:  # re-raised in the caller
                box["error"] = e

        thread = threading.Thread(target=body, name=f"netns-{self.host}", daemon=True)
        thread.start()
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["value"]  # type: ignore[no-any-return]

    def delete(self) -> None:
        with contextlib.suppress(NetnsError):
            sh("ip", "netns", "del", self.name)


def link(a: Netns, a_if: str, a_addrs: Sequence[str], b: Netns, b_if: str,
         b_addrs: Sequence[str]) -> None:  # fmt: skip
    """A veth pair between two namespaces, addressed (``"198.51.100.1/24"``...) and up.
    IPv6 addresses skip duplicate address detection so they are usable at once."""
    a.ip("link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", b.name)
    for ns, ifname, addrs in ((a, a_if, a_addrs), (b, b_if, b_addrs)):
        for addr in addrs:
            extra = ["nodad"] if ":" in addr else []
            ns.ip("addr", "add", addr, "dev", ifname, *extra)
        ns.ip("link", "set", ifname, "up")
