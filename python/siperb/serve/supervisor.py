"""Worker processes: start N, restart the ones that crash, drain them all on SIGTERM.

Each worker is its own process (``siperb serve ... --worker-index i``) with its own asyncio
loop, user agent and media engine: a crash or a stuck loop costs only that worker's calls.
The supervisor holds no call state. It restarts a worker that exits unasked at once, and backs
off (doubling up to ``MAX_BACKOFF``) only while a worker keeps dying young, so a handler that
fails at import cannot spin a core. On SIGTERM or SIGINT it sends SIGTERM to every worker
(each drains: refuses new calls, finishes current ones, unregisters, exits) and waits up to
``drain_timeout`` plus a margin before SIGKILL.

:func:`run_worker` is what runs inside a worker process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .campaign import run_campaign
from .worker import ServeWorker, WorkerConfig

__all__ = ["DONE_EXIT", "Supervisor", "run_worker"]

log = logging.getLogger("siperb.serve")

#: A worker's exit code for "finished its work" (a campaign's end): not restarted; the fleet
#: stops when every worker is done.
DONE_EXIT = 100
MIN_BACKOFF = 0.1
MAX_BACKOFF = 5.0
#: A worker that lived at least this long before exiting starts again without delay growth.
STABLE_SECONDS = 10.0


def _line(**data: object) -> None:
    """One structured line on stdout (the fleet's log), in one write: the workers share the
    supervisor's stdout, and ``print`` writes the text and its newline apart when stdout is
    unbuffered (PYTHONUNBUFFERED), so two workers' lines could run together."""
    sys.stdout.write(json.dumps({**data, "time": time.time()}) + "\n")
    sys.stdout.flush()


@dataclass
class _Slot:
    index: int
    process: asyncio.subprocess.Process | None = None
    started: float = 0.0
    backoff: float = MIN_BACKOFF
    restarts: int = 0
    done: bool = False
    exits: list[int] = field(default_factory=list)


class Supervisor:
    """Keeps ``workers`` processes of ``argv(index)`` running until stopped."""

    def __init__(
        self, argv: Callable[[int], Sequence[str]], workers: int, drain_timeout: float = 30.0
    ):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.argv = argv
        self.slots = [_Slot(i) for i in range(workers)]
        self.drain_timeout = drain_timeout
        self.stopping = asyncio.Event()

    async def _spawn(self, slot: _Slot) -> None:
        slot.process = await asyncio.create_subprocess_exec(*self.argv(slot.index))
        slot.started = time.monotonic()
        _line(
            event="worker_started", worker=slot.index, pid=slot.process.pid, restarts=slot.restarts
        )

    async def _keep(self, slot: _Slot) -> None:
        while not self.stopping.is_set():
            await self._spawn(slot)
            assert slot.process is not None
            code = await slot.process.wait()
            slot.exits.append(code)
            if code == DONE_EXIT:
                _line(event="worker_done", worker=slot.index)
                slot.done = True
                if all(s.done for s in self.slots):
                    self.stopping.set()
                break
            if self.stopping.is_set():
                break
            lived = time.monotonic() - slot.started
            slot.backoff = (
                MIN_BACKOFF if lived >= STABLE_SECONDS else min(MAX_BACKOFF, slot.backoff * 2)
            )
            delay = 0.0 if lived >= STABLE_SECONDS else slot.backoff
            _line(
                event="worker_exited",
                worker=slot.index,
                code=code,
                lived_s=round(lived, 3),
                restart_in_s=delay,
            )
            slot.restarts += 1
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)

    async def _stop_all(self) -> None:
        procs = [s.process for s in self.slots if s.process and s.process.returncode is None]
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
        waits = [asyncio.create_task(p.wait()) for p in procs]
        if waits:
            _, late = await asyncio.wait(waits, timeout=self.drain_timeout + 10.0)
            if late:
                for p in procs:
                    if p.returncode is None:
                        with contextlib.suppress(ProcessLookupError):
                            p.kill()
                await asyncio.wait(waits, timeout=5.0)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stopping.set)
        keepers = [asyncio.create_task(self._keep(s)) for s in self.slots]
        await self.stopping.wait()
        _line(event="fleet_stopping", workers=len(self.slots))
        await self._stop_all()
        for k in keepers:
            k.cancel()
        await asyncio.gather(*keepers, return_exceptions=True)
        _line(event="fleet_stopped")
        return 0


def run_worker(config: WorkerConfig, campaign: Sequence[str] = (), concurrency: int = 4) -> int:
    """A worker process: serve until SIGTERM/SIGINT, then drain and exit 0. With a
    ``campaign`` (targets), call them (``concurrency`` at a time) while serving, then exit
    :data:`DONE_EXIT` so the supervisor does not start the campaign again."""
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    calls = logging.getLogger("siperb.serve.calls")
    out = logging.StreamHandler(sys.stdout)
    out.setFormatter(logging.Formatter("%(message)s"))
    calls.addHandler(out)
    calls.setLevel(logging.INFO)
    calls.propagate = False

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        worker = ServeWorker(config)
        await worker.start()
        metrics = worker.metrics_server.port if worker.metrics_server is not None else None
        _line(
            event="worker_ready",
            worker=config.index,
            sip=f"{config.listen_host}:{worker.sip_port}",
            metrics=metrics,
        )
        code = 0
        if campaign:
            dialling = asyncio.create_task(run_campaign(worker, campaign, concurrency=concurrency))
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({dialling, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if dialling.done():
                _line(event="campaign_done", worker=config.index, calls=len(dialling.result()))
                code = DONE_EXIT
            else:
                stop.set()
                worker.draining = True  # the campaign stops dialling, its calls finish
                await dialling
        if code == 0:
            await stop.wait()
        _line(event="worker_draining", worker=config.index, calls=len(worker.calls))
        clean = await worker.drain()
        await worker.close()
        _line(event="worker_drained", worker=config.index, clean=clean)
        return code

    return asyncio.run(main())
