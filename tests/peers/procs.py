"""Start peers in their own process group and stop exactly those, whatever happens.

Every started process is registered for an atexit cleanup, so an interrupted test session
(KeyboardInterrupt, a crashed fixture) does not leave Kamailio or baresip bound to ports.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

_live: set[ManagedProcess] = set()
_live_lock = threading.Lock()


class PeerError(RuntimeError):
    """A peer failed to start or misbehaved; the message carries the tail of its log."""


_SANITIZER_ENV = frozenset({"LD_PRELOAD", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"})


@contextlib.contextmanager
def sanitizer_env_removed() -> Iterator[None]:
    """For a tool that spawns its own helpers from ``os.environ`` (Playwright's driver, whose
    browser inherits the driver's environment): the sanitizer variables are away meanwhile."""
    saved = {k: os.environ.pop(k) for k in _SANITIZER_ENV if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def peer_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the sanitizer runtime of ``make test-asan*`` (it is
    preloaded for siperb's extension, not for the peers and their tools, whose own leaks would
    fail them), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _SANITIZER_ENV}
    env.update(extra or {})
    return env


class ManagedProcess:
    """One foreground program whose stdout+stderr go to a log file in the session dir."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = _with_pdeathsig(list(argv))
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - lives as long as the process
        # Under make test-asan*, the sanitizer runtime is preloaded for siperb's extension: it
        # is not for the peers (Kamailio, baresip...), whose own leaks are not ours to report.
        full_env = peer_env(env)
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=cwd,
            start_new_session=True,  # own process group: stop() kills children too, nothing else
        )
        with _live_lock:
            _live.add(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def fail(self, what: str) -> PeerError:
        """An exception naming the peer and showing its log, for readable test failures."""
        state = "running" if self.alive() else f"exited with {self.proc.returncode}"
        return PeerError(
            f"{self.name}: {what} ({state}); argv: {' '.join(self.argv)}\n"
            f"--- last lines of {self.log_path} ---\n{self.log_tail()}"
        )

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll `ready` until true; fail early if the process dies, late if the time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if not self.alive():
                raise self.fail(f"died before {what}")
            time.sleep(0.05)
        raise self.fail(f"not {what} within {timeout:.0f} s")

    def wait_log(self, needle: str, timeout: float) -> None:
        self.wait_until(lambda: needle in self.log_text(), timeout, f"logging {needle!r}")

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM the process group, SIGKILL it after `timeout`; idempotent."""
        if self.alive():
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
        else:
            # The leader may be gone while forked children (Kamailio workers) live on.
            _signal_group(self.proc.pid, signal.SIGKILL)
        with _live_lock:
            _live.discard(self)
        if not self._log.closed:
            self._log.close()
        return self.proc.returncode


def terminate(proc: subprocess.Popen[Any], timeout: float = 10.0) -> int:
    """Stop a plain child (not a ManagedProcess peer) by PID: SIGTERM, SIGKILL after
    ``timeout``; returns its exit status."""
    proc.terminate()
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(5)


_SETPRIV = shutil.which("setpriv")


def _with_pdeathsig(argv: list[str]) -> list[str]:
    """Prefix `setpriv --pdeathsig TERM`: the peer gets SIGTERM if the test runner is killed
    (SIGKILL skips atexit). Caveat: the signal fires when the *thread* that started the peer
    exits, so start peers from long-lived threads (pytest's main thread)."""
    if _SETPRIV is None:
        return argv
    return [_SETPRIV, "--pdeathsig", "TERM", "--", *argv]


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_all() -> None:
    """Stop every process this interpreter started and has not stopped yet."""
    with _live_lock:
        procs = list(_live)
    for p in procs:
        p.stop(timeout=2.0)


def _on_sigterm(signum: int, frame: object) -> None:
    stop_all()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def install_sigterm_cleanup() -> None:
    """Stop our peers when the runner gets SIGTERM (CI cancel); only if nobody else handles it."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


atexit.register(stop_all)
