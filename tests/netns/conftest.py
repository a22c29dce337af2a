"""Test hosts off loopback: a PBX (Kamailio on all five transports, baresip), a NAT router
and a phone behind it, each a network namespace (tests/peers/natlab.py).

The whole directory skips, with the reason, when not root or when `ip netns`, `nft` or
`conntrack` is unavailable. The namespaces are built once per session and removed at its end
even on failure (and leftovers of a killed run are removed first). The siperb UA under test
runs in the phone's namespace as a subprocess (phone_agent.py) and reports JSON.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # makes tests/peers importable

from peers.baresip import Baresip, start_baresip
from peers.dns import DnsServer, start_dnsmasq
from peers.kamailio import Kamailio, start_kamailio
from peers.natlab import PBX4, PBX6, PBX_RELAY4, NatLab, build_natlab, pbx_dns_records
from peers.netns import Netns, unavailable_reason
from peers.procs import install_sigterm_cleanup
from peers.rtpengine import start_rtpengine

ROOT = Path(__file__).resolve().parents[2]
AGENT = Path(__file__).with_name("phone_agent.py")
_SBIN = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"


def pytest_configure(config: pytest.Config) -> None:
    install_sigterm_cleanup()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.netns)


def _skip_reason() -> str | None:
    for program, package in (("nft", "nftables"), ("conntrack", "conntrack"),
                             ("kamailio", "kamailio"), ("baresip", "baresip")):  # fmt: skip
        if shutil.which(program, path=_SBIN) is None:
            return f"{program} not installed (Debian {package}; scripts/bootstrap.sh)"
    return unavailable_reason()


@pytest.fixture(scope="session")
def natlab() -> Iterator[NatLab]:
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    lab = build_natlab()
    atexit.register(lab.delete)  # also on an interrupted session (SIGKILL: next run cleans)
    try:
        yield lab
    finally:
        lab.delete()


@pytest.fixture(scope="session")
def pbx(natlab: NatLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kamailio]:
    """Kamailio on the PBX host: UDP/TCP/TLS/WS/WSS on 203.0.113.10 and 2001:db8:203::10."""
    kam = start_kamailio(tmp_path_factory.mktemp("pbx") / "kamailio", host4=PBX4, host6=PBX6,
                         netns=natlab.pbx)  # fmt: skip
    try:
        yield kam
    finally:
        kam.stop()


@pytest.fixture(scope="session")
def relay_pbx(natlab: NatLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kamailio]:
    """A second Kamailio on the PBX host (203.0.113.11) relaying every call's media through
    rtpengine (userspace) on the same address; skips without rtpengine."""
    if shutil.which("rtpengine", path=_SBIN) is None:
        pytest.skip("rtpengine not installed (Debian rtpengine-daemon; scripts/bootstrap.sh)")
    workdir = tmp_path_factory.mktemp("relay")
    relay = start_rtpengine(workdir / "rtpengine", PBX_RELAY4, netns=natlab.pbx)
    try:
        kam = start_kamailio(workdir / "kamailio", host4=PBX_RELAY4, ipv6=False,
                             netns=natlab.pbx, rtpengine_port=relay.ng_port)  # fmt: skip
        try:
            yield kam
        finally:
            kam.stop()
    finally:
        relay.stop()


@pytest.fixture(scope="session")
def pbx_dns(natlab: NatLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    """dnsmasq on the PBX host (203.0.113.10:53) with the PBX domain's NAPTR/SRV/A/AAAA
    records (natlab.pbx_dns_records); skips without dnsmasq."""
    if shutil.which("dnsmasq", path=_SBIN) is None:
        pytest.skip("dnsmasq not installed (Debian dnsmasq-base; scripts/bootstrap.sh)")
    dns = start_dnsmasq(tmp_path_factory.mktemp("dns"), pbx_dns_records(), host=PBX4,
                        netns=natlab.pbx)  # fmt: skip
    try:
        yield dns
    finally:
        dns.stop()


@pytest.fixture
def pbx_baresip(
    request: pytest.FixtureRequest, pbx: Kamailio, tmp_path: Path
) -> Iterator[Callable[..., Baresip]]:
    """make(user, kamailio=pbx, **start_baresip kwargs) -> a baresip on the PBX host,
    registered to ``pbx`` (or the given Kamailio, e.g. ``relay_pbx``)."""
    started: list[Baresip] = []

    def make(user: str, kamailio: Kamailio | None = None, **kwargs: Any) -> Baresip:
        kam = kamailio or pbx
        if not kam.process.alive():
            raise kam.process.fail("died during the session")
        kam.unregister(user)
        ua = start_baresip(tmp_path / f"baresip-{user}-{len(started)}", kam, user, **kwargs)
        started.append(ua)
        return ua

    yield make
    failed = getattr(request.node, "rep_call", None)
    for ua in started:
        if failed is not None and failed.failed:
            print(f"--- {ua.process.name} log ---\n{ua.process.log_tail(60)}")
        ua.stop()
    if failed is not None and failed.failed:
        print(f"--- kamailio log ---\n{pbx.process.log_tail(60)}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


class PhoneAgent:
    """One phone_agent.py run inside the phone namespace; ``ready()`` waits for its first
    line (registered), ``result()`` for its last."""

    def __init__(self, host: Netns, args: dict[str, Any]) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
        # setpriv: the agent dies with the test runner, even on SIGKILL.
        setpriv = shutil.which("setpriv")
        guard = [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []
        argv = [*guard, *host.prefix(), sys.executable, str(AGENT), json.dumps(args)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env, start_new_session=True)  # fmt: skip
        self.lines: list[dict[str, Any]] = []

    def _next(self) -> dict[str, Any] | None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.append(json.loads(line))
                return self.lines[-1]
        return None

    def ready(self) -> dict[str, Any]:
        """The agent's state once registered (fails with its stderr if it ended first)."""
        first = self._next()
        if first is None or not first.get("ready"):
            raise AssertionError(f"phone agent not ready: {first}\n{self.stderr()}")
        return first

    def in_call(self) -> None:
        """Wait until the call carries audio and the agent waits for the test's fault."""
        line = self._next()
        if line is None or not line.get("in_call"):
            raise AssertionError(f"phone agent not in a call: {line}\n{self.stderr()}")

    def result(self, timeout: float = 90.0) -> dict[str, Any]:
        last = self._next()
        self.proc.wait(timeout)
        if last is None:
            raise AssertionError(f"phone agent printed no result:\n{self.stderr()}")
        return last

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(running)"
        assert self.proc.stderr is not None
        return self.proc.stderr.read()[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def phone(natlab: NatLab) -> Iterator[Callable[..., PhoneAgent]]:
    """start(host="phone", **scenario) -> a running PhoneAgent: the siperb UA in the phone's
    namespace (dual-stack, behind the NAT), or "phone6"'s (IPv6 only)."""
    agents: list[PhoneAgent] = []

    def start(host: str = "phone", **args: Any) -> PhoneAgent:
        ns = natlab.phone6 if host == "phone6" else natlab.phone
        agents.append(PhoneAgent(ns, args))
        return agents[-1]

    yield start
    for agent in agents:
        agent.stop()
