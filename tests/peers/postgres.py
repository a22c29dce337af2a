"""A private PostgreSQL cluster for a test: initdb in a temp dir, one postmaster on 127.0.0.1.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` system
user (Debian's package makes it) and is started through ``runuser``; otherwise it runs as the
invoking user. Trust authentication on loopback only; the data directory is removed on stop.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .ports import LOOPBACK4, free_port
from .procs import ManagedProcess, PeerError, peer_env

SUPERUSER = "siperb"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PeerError("PostgreSQL not installed (Debian: postgresql)")
    return Path(found[-1]).parent


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class Postgres:
    datadir: Path
    port: int
    process: ManagedProcess

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@{LOOPBACK4}:{self.port}/postgres"

    def stop(self) -> None:
        self.process.stop()
        shutil.rmtree(self.datadir, ignore_errors=True)


def start_postgres(logdir: Path, timeout: float = 30.0) -> Postgres:
    """initdb + postgres in the foreground on a free port; waits until it accepts connections."""
    bindir = _bindir()
    datadir = Path(tempfile.mkdtemp(prefix="siperb-pg-"))  # /tmp: reachable by postgres
    if os.geteuid() == 0:
        shutil.chown(datadir, "postgres", "postgres")
    init = subprocess.run(
        _as_owner(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        capture_output=True,
        text=True,
        timeout=120,
        env=peer_env(),  # make test-asan*: initdb hung with the sanitizer runtime preloaded
    )
    if init.returncode != 0:
        shutil.rmtree(datadir, ignore_errors=True)
        raise PeerError(f"initdb failed:\n{init.stderr[-2000:]}")
    port = free_port()
    logdir.mkdir(parents=True, exist_ok=True)
    argv = _as_owner(
        [
            str(bindir / "postgres"),
            "-D",
            str(datadir),
            "-h",
            LOOPBACK4,
            "-p",
            str(port),
            "-k",
            str(datadir),
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=50",
        ]
    )
    proc = ManagedProcess("postgres", argv, logdir / "postgres.log")
    pg = Postgres(datadir, port, proc)
    ready = [str(bindir / "pg_isready"), "-q", "-h", LOOPBACK4, "-p", str(port)]
    deadline = time.monotonic() + timeout
    while subprocess.run(ready, timeout=10, env=peer_env()).returncode != 0:
        if not proc.alive() or time.monotonic() > deadline:
            pg.stop()
            raise proc.fail("not accepting connections")
        time.sleep(0.1)
    return pg
