"""Session-scoped real peers for integration tests (Kamailio, baresip, SIPp, PulseAudio).

Each fixture skips only when the peer's program is missing (naming the Debian package that
scripts/bootstrap.sh installs), and stops exactly the processes it started, even on failure.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # makes tests/peers importable

from peers.audio import write_tone_wav
from peers.baresip import Baresip, start_baresip
from peers.dns import DnsRecords, DnsServer, start_dnsmasq
from peers.kamailio import Kamailio, start_kamailio
from peers.procs import install_sigterm_cleanup
from peers.pulse import PulseAudio, start_pulseaudio
from peers.sipp import Sipp

TONE_HZ = 1000.0
_SBIN_PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"


def require_program(program: str, package: str) -> None:
    """Skip (not fail) only when the peer is genuinely not installed."""
    if shutil.which(program, path=_SBIN_PATH) is None:
        pytest.skip(f"{program} not installed (Debian package {package}; scripts/bootstrap.sh)")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report so finalizers can print peer logs for failed tests."""
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


def pytest_configure(config: pytest.Config) -> None:
    install_sigterm_cleanup()


def _failed(request: pytest.FixtureRequest) -> bool:
    rep = getattr(request.node, "rep_call", None)
    return bool(rep is not None and rep.failed)


@pytest.fixture(scope="session")
def peers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Per-session directory holding every peer's config, certificates, logs and recordings."""
    return tmp_path_factory.mktemp("peers")


@pytest.fixture(scope="session")
def kamailio(peers_dir: Path) -> Iterator[Kamailio]:
    """Registrar + proxy on free loopback ports (UDP/TCP/TLS/WS/WSS, IPv4 and IPv6)."""
    require_program("kamailio", "kamailio")
    kam = start_kamailio(peers_dir / "kamailio")
    try:
        yield kam
    finally:
        kam.stop()


@pytest.fixture(scope="session")
def tone_wav(peers_dir: Path) -> Path:
    """6 s of 1 kHz at 48 kHz mono: longer than a smoke call, since aufile ends the call at EOF."""
    return write_tone_wav(peers_dir / "tone_1k.wav", (TONE_HZ,), seconds=6.0)


@pytest.fixture
def baresip_factory(
    request: pytest.FixtureRequest, kamailio: Kamailio, tmp_path: Path
) -> Iterator[Callable[..., Baresip]]:
    """make(user, **start_baresip kwargs) -> a registered baresip; all stopped after the test."""
    require_program("baresip", "baresip")
    started: list[Baresip] = []

    def make(user: str, *, fork: bool = False, **kwargs: Any) -> Baresip:
        """fork: keep the user's other bindings (a second phone of the same account)."""
        if not kamailio.process.alive():  # session-scoped: say so instead of odd timeouts
            raise kamailio.process.fail("died during the session")
        if not fork:
            kamailio.unregister(user)  # stale bindings from an earlier test would fork calls
        ua = start_baresip(tmp_path / f"baresip-{user}-{len(started)}", kamailio, user, **kwargs)
        started.append(ua)
        return ua

    yield make
    for ua in started:
        if _failed(request):
            print(f"--- {ua.process.name} log ---\n{ua.process.log_tail(60)}")
        ua.stop()
    if _failed(request):
        print(f"--- kamailio log ---\n{kamailio.process.log_tail(60)}")


@pytest.fixture
def sipp_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Sipp]]:
    """make(scenario, **Sipp kwargs) -> a running SIPp; any still running is stopped after."""
    require_program("sipp", "sip-tester")
    started: list[Sipp] = []

    def make(scenario: Path, **kwargs: Any) -> Sipp:
        sipp = Sipp(tmp_path / f"sipp-{scenario.stem}-{len(started)}", scenario, **kwargs)
        started.append(sipp)
        return sipp

    yield make
    for sipp in started:
        if _failed(request):
            print(f"--- {sipp.process.name} log ---\n{sipp.process.log_tail(60)}")
        sipp.stop()


@pytest.fixture
def dns_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[DnsRecords], DnsServer]]:
    """make(records) -> a dnsmasq on 127.0.0.1:<free port> serving only those records."""
    require_program("dnsmasq", "dnsmasq-base")
    started: list[DnsServer] = []

    def make(records: DnsRecords) -> DnsServer:
        server = start_dnsmasq(tmp_path / f"dns-{len(started)}", records)
        started.append(server)
        return server

    yield make
    for server in started:
        if _failed(request):
            print(f"--- dnsmasq log ---\n{server.process.log_tail(60)}")
        server.stop()


@pytest.fixture(scope="session")
def pulseaudio(peers_dir: Path) -> Iterator[PulseAudio]:
    """Private PulseAudio with a null sink; use `.env()` for PortAudio/ALSA `pulse` clients."""
    require_program("pulseaudio", "pulseaudio")
    require_program("pactl", "pulseaudio-utils")
    pa = start_pulseaudio(peers_dir / "pulseaudio")
    try:
        yield pa
    finally:
        pa.stop()
