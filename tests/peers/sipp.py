"""SIPp runs of our own scenario files, bounded by -m and -timeout, with exit code and stats."""

from __future__ import annotations

import csv
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ports import LOOPBACK4, free_port
from .procs import ManagedProcess, PeerError

SCENARIO_DIR = Path(__file__).parent / "config" / "sipp"
UAS_ANSWER = SCENARIO_DIR / "uas_answer.xml"
UAS_BUSY = SCENARIO_DIR / "uas_busy.xml"
UAS_EARLY_MEDIA = SCENARIO_DIR / "uas_early_media.xml"
UAC_REGISTER_401 = SCENARIO_DIR / "uac_register_401.xml"
UAC_CALL = SCENARIO_DIR / "uac_call.xml"  # key: domain; call length: pause_ms
UAS_SUBSCRIBE_MWI = SCENARIO_DIR / "uas_subscribe_mwi.xml"  # key: expires (granted, seconds)
UAS_REGISTER_423 = SCENARIO_DIR / "uas_register_423.xml"  # Min-Expires: 1800

# SIPp's exit codes (sipp(1)).
EXIT_ALL_OK = 0
EXIT_SOME_FAILED = 1
EXIT_NO_CALL = 99


@dataclass
class SippResult:
    """Outcome of one SIPp run: exit code, final statistics row, error trace."""

    returncode: int
    stats: dict[str, str] = field(default_factory=dict)
    errors: str = ""
    log: str = ""

    def count(self, name: str) -> int:
        """A cumulative counter of the last stats row, e.g. "SuccessfulCall", "FailedCall"."""
        return int(self.stats.get(f"{name}(C)", "0") or 0)

    @property
    def ok(self) -> bool:
        return self.returncode == EXIT_ALL_OK


class Sipp:
    """One SIPp process (UAC or UAS) in the background; `wait()` gives its SippResult."""

    def __init__(
        self,
        workdir: Path,
        scenario: Path,
        *,
        remote: str | None = None,
        service: str = "service",
        port: int | None = None,
        transport: str = "u1",  # SIPp -t: u1 (UDP), t1 (TCP), l1 (TLS)
        calls: int = 1,
        rate: float | None = None,
        timeout_s: float = 20.0,
        pause_ms: int | None = None,  # -d: length of scenarios' bare <pause/>
        keys: dict[str, str] | None = None,
        extra: list[str] | None = None,
    ) -> None:
        binary = shutil.which("sipp")
        if binary is None:
            raise PeerError("sipp not installed (Debian: sip-tester)")
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.port = port or free_port()
        self.host = LOOPBACK4
        self.stats_file = workdir / "stats.csv"
        self.error_file = workdir / "errors.log"
        argv = [
            binary, "-sf", str(scenario), "-i", LOOPBACK4, "-p", str(self.port),
            "-t", transport, "-s", service, "-m", str(calls),
            "-timeout", f"{int(timeout_s)}s", "-timeout_error",
            "-nostdin", "-trace_err", "-error_file", str(self.error_file),
            "-trace_stat", "-stf", str(self.stats_file), "-fd", "1",
            "-mi", LOOPBACK4, "-mp", str(free_port(span=4)),
        ]  # fmt: skip
        if rate is not None:
            argv += ["-r", str(rate)]
        if pause_ms is not None:
            argv += ["-d", str(pause_ms)]
        for k, v in (keys or {}).items():
            argv += ["-key", k, v]
        argv += extra or []
        if remote:
            argv.append(remote)
        self.timeout_s = timeout_s
        self.process = ManagedProcess(f"sipp[{scenario.stem}]", argv, workdir / "sipp.log",
                                      cwd=workdir)  # fmt: skip

    @property
    def uri_host(self) -> str:
        return f"{self.host}:{self.port}"

    def wait_listening(self, timeout: float = 5.0) -> None:
        """A UAS is ready once its SIP port is bound."""
        self.process.wait_until(self._bound, timeout, "listening")

    def _bound(self) -> bool:
        """The SIP port shows up as a bound socket in /proc/net (no iproute2 needed)."""
        suffix = f":{self.port:04X}"
        for table in ("/proc/net/udp", "/proc/net/tcp"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            if any(line.split()[1].endswith(suffix) for line in lines if line.strip()):
                return True
        return False

    def wait(self, timeout: float | None = None) -> SippResult:
        """Wait for SIPp to finish (its -m/-timeout bound it); kill it if it overruns."""
        limit = timeout if timeout is not None else self.timeout_s + 10
        try:
            rc = self.process.proc.wait(limit)
        except subprocess.TimeoutExpired:
            self.process.stop()
            raise self.process.fail(f"still running after {limit:.0f} s") from None
        self.process.stop()
        return SippResult(rc, self._last_stats(), self._errors(), self.process.log_text())

    def stop(self) -> None:
        self.process.stop()

    def _last_stats(self) -> dict[str, str]:
        try:
            rows = list(csv.reader(self.stats_file.read_text().splitlines(), delimiter=";"))
        except OSError:
            return {}
        if len(rows) < 2:
            return {}
        return dict(zip(rows[0], rows[-1], strict=False))

    def _errors(self) -> str:
        try:
            return self.error_file.read_text(errors="replace")
        except OSError:
            return ""


def run_sipp(workdir: Path, scenario: Path, remote: str | None = None, **kwargs: Any) -> SippResult:
    """Run a scenario to completion (a UAC against `remote`, typically)."""
    start = time.monotonic()
    sipp = Sipp(workdir, scenario, remote=remote, **kwargs)
    result = sipp.wait()
    result.stats.setdefault("elapsed_s", f"{time.monotonic() - start:.3f}")
    return result
