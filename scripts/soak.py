"""Soak: many concurrent calls with audio through Kamailio, then many sequential ones, while
resident memory, descriptors and setup times are sampled (issue 17). A script, not a test.

Two siperb user agents in this process register to a Kamailio started here (UDP, 127.0.0.1):
``1000`` places calls to ``1001``, which answers at once; both sides run the native engine
with a tone each way (PCMU; ``--no-audio``: SDP only, signalling alone). Phase 1 keeps
``--concurrent`` calls up for ``--minutes`` (each call lasts ``--hold`` seconds and is
replaced when it ends, so calls are set up all along); phase 2 places ``--sequential``
calls one after another (each talks ``--talk`` seconds). It prints,
per minute, the setup time p50/p99 (INVITE to established) and resident memory and open
descriptors; at the end it compares each phase's last sample with its first after the warm-up
and exits 1 when either grew by more than ``--tolerance`` (5 %) or a call failed. The first calls
start at the steady rate (``--concurrent`` / ``--hold`` a second, spread over one hold, as
SIPp's ``-r`` with ``-d``), so calls end and are replaced evenly, not in waves. Warm-up:
the ramp plus two holds (at least 64*T1 = 32 s) for the concurrent phase, 64*T1 + 10 s for
the sequential one: until then every ended call's transactions still linger (RFC 3261 timers),
and the allocator reaches its working set; a shorter phase is not judged (it says so). The
sequential phase is also judged by what it leaves behind once its transactions expired
(memory and descriptors against the same before it); ``--rounds N`` repeats it, the first
round raising the allocator to its high-water mark and each later one judged against the
round before (``--concurrent 0 --sequential 10000 --rounds 3``: per-call retention alone).

Each minute's row also has the engine's late ticks (packet times it ran late, both sides'
sessions); setup time is judged stable when the first and the last full minute's p50 and p99
are within ``--setup-ratio`` (2x) of each other plus 5 ms, and a phase that is not stable fails
too. The row's last columns look for what else could slow a minute: Python's full (generation
2) collections (how many, the longest, the objects they freed) and Kamailio's shared memory
and allocator fragments.
Beside them, the frames the receivers played, concealed and got too late (each session's own
``frames_played``, ``frames_concealed``, ``jb_late``, read on its command lane just before it
closes and counted in the minute it ended, both sides summed): "no late frame beyond today's
figures" is judged with those, not ticks: in every full minute the frames concealed or late
are at most ``--frames-max`` (1 %) of those played. The row ends with the ``malloc_trim`` runs
(``siperb._memory``: count and milliseconds), the native sessions and the busiest engine
thread's share at the minute's end, and the longest wait of a no-op on the engine's command
lanes (where an answer waits for its media start), and the allocator's bytes in use and free.
``--trim-step 0`` trims at every request, as before the free-growth rule (for A/B runs).

``--trace-memory`` prints, every 30 s after the concurrent warm-up, resident memory beside the
bytes the C allocator has handed out (``mallinfo2``) and Python's (``tracemalloc``, the lines
that grew most), gc counts, native sessions and live calls: whether a creep is retention
(objects kept) or the allocator keeping freed pages.

The full run (issue 17)::

    PYTHONPATH=python:tests .venv/bin/python scripts/soak.py --concurrent 500 --minutes 10 \\
        --sequential 10000

A short one (what the report quotes)::

    PYTHONPATH=python:tests .venv/bin/python scripts/soak.py --concurrent 100 --minutes 2 \\
        --hold 20 --sequential 1000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from peers.kamailio import DOMAIN, Kamailio, start_kamailio
from siperb import _core, _memory
from siperb._memory import TRIM_INTERVAL
from siperb.media import Engine, EngineMedia, SdpOnlyMedia, commands
from siperb.media.audio import ToneSource
from siperb.sdp import Codec
from siperb.sip.session import CallState, Outcome
from siperb.sip.useragent import UserAgent, UserAgentConfig

#: 64*T1: a call's transactions (and the router's fork entry) outlive it this long (RFC 3261
#: timers D, J, K, M), so memory rises for this long after calls start ending, then holds.
LINGER = 32.0
#: Calls placed (and not counted) before the sequential phase's baseline: its first calls
#: create the engine threads and the pools a phone keeps (after the concurrent phase, a no-op).
SEQUENTIAL_WARM_UP = 200
#: Added to ``--setup-ratio`` times the smaller of the first and last minute's p50 or p99.
SETUP_SLACK_MS = 5.0


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def malloc_in_use() -> int:
    """Bytes the C allocator has handed out and not got back (every arena): what RSS would be
    without the allocator's own free-but-kept pages."""
    return _memory.heap()[0]


def python_arenas() -> int:
    """The 1 MiB arenas Python's small-object allocator holds (``sys._debugmallocstats``, which
    writes to the C stderr): a burst's arenas stay while any object made in them lives."""
    with tempfile.TemporaryFile() as out:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode(errors="replace")
    found = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", text)
    return int(found.group(1).replace(",", "")) if found else -1


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Rows:
    """Numeric records, one array per column (typecodes as :mod:`array`'s: ``d`` a float, ``q``
    an integer). A tuple a record is several small Python objects; allocated among a burst's
    short-lived objects, each survivor keeps its whole 1 MiB arena of Python's allocator
    resident, so the soak's own records were among what kept the burst's arenas (issue 17;
    the library's own survivors keep them too). Arrays grow in one block."""

    def __init__(self, typecodes: str) -> None:
        self.columns: tuple[array[Any], ...] = tuple(array(code) for code in typecodes)

    def append(self, *row: float) -> None:
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return zip(*self.columns, strict=True)

    def __len__(self) -> int:
        return len(self.columns[0])


class CountingMedia(EngineMedia):
    """The calls' media: at hang-up, its session's frame counters (played, concealed, late at
    the jitter buffer), read on its command lane just before its close, recorded with the time
    it ended (in :class:`Rows`: records as objects would themselves grow the RSS judged)."""

    frames = Rows("dqqq")  # (when it ended, frames played, concealed, late)
    lock = threading.Lock()

    def close(self) -> None:
        session = self.session
        if session is not None and not self.closed:

            def count() -> None:
                st = session.stats()
                with self.lock:
                    self.frames.append(time.monotonic(), st.frames_played, st.frames_concealed,
                                       st.jb_late)  # fmt: skip

            session.engine.commands.submit(count, key=session.id)  # before the close (ordered)
        super().close()


def ua_config(kam: Kamailio, user: str, hz: float, calls: int, audio: bool) -> UserAgentConfig:
    def media(ua: Any) -> SdpOnlyMedia:
        if not audio:
            return SdpOnlyMedia(ua.media_host())
        return CountingMedia(ua.media_host(), [Codec.pcmu()], media_timeout=ua.config.media_timeout,
                             source=ToneSource(8000, [([hz], 1000)], repeat=True))  # fmt: skip

    calls = max(calls, 500)  # the sequential phase alone (--concurrent 0) needs the same rates
    return UserAgentConfig(
        aor=f"sip:{user}@{DOMAIN}", proxy=kam.uri("udp"), password=kam.accounts[user],
        media_factory=media, auto_answer=lambda call: True, max_calls=calls + 10,
        max_ringing_calls=calls + 10, request_rate=float(calls * 4), request_burst=calls * 4,
        max_dialogs=calls * 4,
        # Finished transactions linger up to 64*T1 = 32 s (RFC 3261 17): back-to-back calls at
        # about 300/s keep ~2 a call per side alive, past 8,000 in the sequential phase.
        max_transactions=max(40_000, calls * 16),
    )  # fmt: skip


class Soak:
    def __init__(self, caller: UserAgent, callee: UserAgent, kam: Kamailio) -> None:
        self.caller, self.callee, self.kam = caller, callee, kam
        self.setups = Rows("dd")  # (when, seconds)
        self.failed: list[str] = []
        self.samples: dict[str, Rows] = {}  # phase: (when, rss KB, fds)
        self.late = Rows("dq")  # (when, the engine's late ticks so far)
        self.trims = Rows("dqd")  # (when, trims so far, their seconds)
        self.heap = Rows("dqqqq")  # (when, allocator bytes in use, free, pool in use, mapped)
        #: (when, engine sessions, busiest thread's share permille, slowest lane's wait in s)
        self.engine = Rows("dqqd")
        self.proxy = Rows("dqq")  # (when, Kamailio's shared memory in use, its fragments)
        self.gc = Rows("ddq")  # (when a full collection ended, its seconds, objects it freed)
        self._gc_start = 0.0

    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        """gc callback: times each full (generation 2) collection, a pause of the event loop
        every call waiting on it shares (the setup p99 beside it in each minute's row)."""
        if info["generation"] != 2:
            return
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc.append(time.monotonic(), time.perf_counter() - self._gc_start,
                           info["collected"])  # fmt: skip

    def sample(self, phase: str) -> None:
        self.samples.setdefault(phase, Rows("dqq")).append(time.monotonic(), rss_kb(), fds())

    async def one_call(self, talk: float) -> None:
        t0 = time.monotonic()
        call = await self.caller.call("1001")
        try:
            state = await call.wait_for(CallState.ESTABLISHED, timeout=20)
        except asyncio.TimeoutError:
            self.failed.append("not established in 20 s")
            await call.hangup()
            return
        if state is not CallState.ESTABLISHED:
            self.failed.append(f"{call.status} {call.reason}")
            return
        self.setups.append(time.monotonic(), time.monotonic() - t0)
        await asyncio.sleep(talk)
        if call.state is CallState.TERMINATED:  # ended under us (media timeout, BYE...)
            self.failed.append(f"ended early: {call.outcome} {call.reason}")
            return
        await call.hangup()
        if call.outcome is not Outcome.COMPLETED:
            self.failed.append(f"hangup: {call.outcome} {call.reason}")

    async def sampler(self, phase: str, every: float, until: float = float("inf")) -> None:
        """Samples every ``every`` seconds until ``until`` (the end of the calls: a sample taken
        while they hang up is not the phase's)."""
        while time.monotonic() < until:
            self.sample(phase)
            trims = _memory.stats
            pool = _core.buffer_pool()
            self.heap.append(time.monotonic(), *_memory.heap(), pool["in_use"], pool["mapped"])
            self.trims.append(time.monotonic(), int(trims["trims"]), trims["seconds"])
            shm = await asyncio.to_thread(self.kam.shared_memory)  # off the loop
            self.proxy.append(time.monotonic(), shm["real_used"], shm["fragments"])
            engine = Engine._default  # the calls' engine (none without audio)
            if engine is not None and engine.running:
                es = engine.stats()
                self.late.append(time.monotonic(), int(es.get("late_ticks", 0)))
                wait = await lane_wait(engine)
                self.engine.append(time.monotonic(), es["sessions"], es["busy_permille"], wait)
            await asyncio.sleep(every)

    async def memory_tracer(self, every: float, after: float) -> None:
        """--trace-memory: from ``after`` seconds on, every ``every`` seconds (30), what Python
        allocated since the previous snapshot (top lines), gc counts, live calls and native
        sessions: where a creep comes from."""
        await asyncio.sleep(after)
        tracemalloc.start(8)
        previous = tracemalloc.take_snapshot()
        while True:
            await asyncio.sleep(every)
            gc.collect()
            snap = tracemalloc.take_snapshot()
            traced, _ = tracemalloc.get_traced_memory()
            engine = Engine.default().stats()
            print(f"[trace-memory] RSS {rss_kb() / 1024:.1f} MB, malloc in use "
                  f"{malloc_in_use() / 1e6:.1f} MB, traced {traced / 1e6:.1f} MB, "
                  f"gc objects {len(gc.get_objects())}, gc counts {gc.get_count()}, native "
                  f"sessions {engine.get('sessions')}, calls {len(self.caller.calls)}/"
                  f"{len(self.callee.calls)}")  # fmt: skip
            for stat in snap.compare_to(previous, "traceback")[:8]:
                where = stat.traceback[:4]
                frames = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in where)
                print(f"[trace-memory]   {stat.size_diff / 1024:+9.1f} KB "
                      f"{stat.count_diff:+7d} blocks  {frames}")  # fmt: skip
            previous = snap

    async def concurrent(self, calls: int, minutes: float, hold: float) -> None:
        end = time.monotonic() + minutes * 60

        async def lane(i: int) -> None:
            # Ramp up at the steady call rate (calls / hold, as SIPp's -r with -d): the first
            # calls spread over one hold, so their ends and replacements do not come in waves
            # (a 50 calls/s ramp made every hold a burst of 500 BYEs and INVITEs).
            await asyncio.sleep(i * hold / calls)
            while time.monotonic() < end:
                await self.one_call(min(hold, max(0.0, end - time.monotonic())))

        await asyncio.gather(*(lane(i) for i in range(calls)))

    async def sequential(self, calls: int, talk: float) -> None:
        for _ in range(calls):
            await self.one_call(talk)


async def lane_wait(engine: Engine) -> float:
    """The longest wait of a no-op put on each of the engine's command lanes (a call's media
    start and close wait there: a lane falling behind delays every answer)."""
    t0 = time.monotonic()
    done = [asyncio.wrap_future(engine.commands.submit(lambda: None, key=k))
            for k in range(commands.LANES)]  # fmt: skip
    waits = []
    for f in done:
        await f
        waits.append(time.monotonic() - t0)
    return max(waits)


def heap_in(soak: Soak, lo: float, hi: float) -> str:
    """The C allocator's bytes in use and free at the minute's last sample (whether a trim's
    rule, their growth since the last in ``siperb._memory``, would let one run), and the media
    buffers' pool's bytes in use and mapped."""
    s = [x for x in soak.heap if lo <= x[0] < hi]
    if not s:
        return "-"
    _, used, free, pooled, mapped = s[-1]
    return f"{used / 1e6:.0f}/{free / 1e6:.0f}  {pooled / 1e6:9.0f}/{mapped / 1e6:.0f}"


def proxy_in(soak: Soak, lo: float, hi: float) -> str:
    """Kamailio's shared memory in use (MB) and its free-list fragments at the minute's last
    sample: whether the proxy in the path slows as its allocator fragments."""
    s = [x for x in soak.proxy if lo <= x[0] < hi]
    return f"{s[-1][1] / 1e6:5.0f} {s[-1][2]:6d}" if s else "-"


def gc_in(soak: Soak, lo: float, hi: float) -> str:
    """The full collections that ended in the minute: how many, the longest in ms, and the
    objects they freed (unreachable cycles: what reference counting alone did not free)."""
    s = [x for x in soak.gc if lo <= x[0] < hi]
    longest = max((x[1] for x in s), default=0.0)
    return f"{len(s):3d} {longest * 1000:6.1f} {sum(x[2] for x in s):7d}"


def engine_in(soak: Soak, lo: float, hi: float) -> str:
    """Native sessions and the busiest engine thread's share at the minute's last sample, and
    the longest command-lane wait of its samples."""
    s = [x for x in soak.engine if lo <= x[0] < hi]
    if not s:
        return "-"
    return f"{s[-1][1]:5d} {s[-1][2] / 10:4.0f}% {max(x[3] for x in s) * 1000:6.1f}"


def late_by(soak: Soak, when: float) -> int | None:
    """The engine's late ticks counted by ``when`` (the last sample before it)."""
    before = [n for t, n in soak.late if t < when]
    return before[-1] if before else None


def setup_stable(first: list[float], last: list[float], ratio: float) -> bool:
    """Setup time is stable when neither the first nor the last full minute's p50 and p99 are
    more than ``ratio`` times the other's, plus SETUP_SLACK_MS (a few-millisecond p50 would
    otherwise fail on scheduling noise alone)."""
    for q in (0.5, 0.99):
        a, b = pct(first, q), pct(last, q)
        if max(a, b) > ratio * min(a, b) + SETUP_SLACK_MS:
            return False
    return True


def frames_in(lo: float, hi: float) -> tuple[int, int, int]:
    """Frames played, concealed and late (at the jitter buffer) by the sessions that ended
    between ``lo`` and ``hi``, both sides summed (each counts what it received)."""
    with CountingMedia.lock:
        ended = [f for f in CountingMedia.frames if lo <= f[0] < hi]
    return sum(f[1] for f in ended), sum(f[2] for f in ended), sum(f[3] for f in ended)


def trims_in(soak: Soak, lo: float, hi: float) -> str:
    """``siperb._memory``'s trims between ``lo`` and ``hi`` and the milliseconds they took."""
    a = [x for x in soak.trims if x[0] < lo] or list(soak.trims)[:1]
    b = [x for x in soak.trims if x[0] < hi]
    if not a or not b:
        return "-"
    return f"{b[-1][1] - a[-1][1]} ({(b[-1][2] - a[-1][2]) * 1000:.0f})"


def frames_within(frame_minutes: list[tuple[int, int]], most: float) -> bool:
    """No late frame beyond today's figures: in every full minute, the frames concealed or late
    at the receivers are at most ``most`` (a fraction) of the frames played."""
    shares = [bad / played if played else 0.0 for played, bad in frame_minutes]
    ok = max(shares) <= most
    print(f"frames concealed or late per full minute: {min(shares):.3%} to {max(shares):.3%} of "
          f"those played (first {shares[0]:.3%}, last {shares[-1]:.3%}): "
          f"{'within' if ok else 'NOT within'} {most:.2%}")  # fmt: skip
    return ok


def report(
    soak: Soak,
    phase: str,
    start: float,
    tolerance: float,
    warm_up: float,
    ratio: float = 2.0,
    frames_max: float = 0.01,
) -> bool:
    samples = list(soak.samples.get(phase, ()))
    setups = [(t, d) for t, d in soak.setups if t >= start and (not samples or t <= samples[-1][0])]
    print(f"--- {phase} ---")
    print("minute  calls  setup p50 ms  setup p99 ms  RSS MB  fds  late ticks  frames played"
          "  concealed  late  trims (ms)  sessions busy lane ms  heap MB used/free"
          "  pool MB used/mapped  gc2 n/max ms/freed  proxy MB/frags")  # fmt: skip
    minute = 0
    minutes: list[list[float]] = []
    frame_minutes: list[tuple[int, int]] = []  # (played, concealed + late) of each full minute
    while True:
        lo, hi = start + minute * 60, start + (minute + 1) * 60
        d = [x * 1000 for t, x in setups if lo <= t < hi]
        s = [x for x in samples if lo <= x[0] < hi]
        if not d and not s:
            break
        rss = f"{s[-1][1] / 1024:.1f}" if s else "-"
        fd = str(s[-1][2]) if s else "-"
        a, b = late_by(soak, lo), late_by(soak, hi)
        if a is None:  # the phase's first minute: from its first sample
            a = next((n for t, n in soak.late if t >= lo), None)
        late = str(b - a) if a is not None and b is not None else "-"
        played, concealed, jb_late = frames_in(lo, hi)
        trims = trims_in(soak, lo, hi)
        print(f"{minute + 1:6d}  {len(d):5d}  {pct(d, 0.5):12.1f}  {pct(d, 0.99):12.1f}  "
              f"{rss:>6}  {fd:>3}  {late:>10}  {played:13d}  {concealed:9d}  {jb_late:4d}  "
              f"{trims:>11}  {engine_in(soak, lo, hi)}  {heap_in(soak, lo, hi)}  "
              f"{gc_in(soak, lo, hi)}  {proxy_in(soak, lo, hi)}")  # fmt: skip
        if len(d) >= 100:
            minutes.append(d)
            frame_minutes.append((played, concealed + jb_late))
        minute += 1
    stable = True
    if len(minutes) >= 2:
        stable = setup_stable(minutes[0], minutes[-1], ratio)
        print(f"setup p50/p99, first full minute {pct(minutes[0], 0.5):.1f}/"
              f"{pct(minutes[0], 0.99):.1f} ms, last {pct(minutes[-1], 0.5):.1f}/"
              f"{pct(minutes[-1], 0.99):.1f} ms: {'stable' if stable else 'NOT stable'} "
              f"(within {ratio:g}x, with {SETUP_SLACK_MS:g} ms of slack)")  # fmt: skip
    if sum(p for p, _ in frame_minutes) >= 10_000:  # calls with audio (not --talk 0)
        frames_ok = frames_within(frame_minutes, frames_max)
        stable &= frames_ok
    judged = [x for x in samples if x[0] >= start + warm_up]
    if len(judged) < 3:
        print(f"flatness not judged: the phase is shorter than its warm-up ({warm_up:.0f} s) "
              "plus three samples")  # fmt: skip
        return stable
    warm, last = judged[0], judged[-1]
    print(f"flatness from the first sample after the warm-up ({warm_up:.0f} s) to the last:")
    rss_growth = (last[1] - warm[1]) / warm[1]
    fd_growth = (last[2] - warm[2]) / warm[2]
    ok = rss_growth <= tolerance and fd_growth <= tolerance
    print(f"RSS {warm[1] / 1024:.1f} -> {last[1] / 1024:.1f} MB ({rss_growth:+.1%}), "
          f"fds {warm[2]} -> {last[2]} ({fd_growth:+.1%}): "
          f"{'flat' if ok else 'NOT flat'} within {tolerance:.0%}")  # fmt: skip
    if setups:
        all_d = [x * 1000 for _, x in setups]
        print(f"setup over the phase: p50 {pct(all_d, 0.5):.1f} ms, p99 {pct(all_d, 0.99):.1f} ms,"
              f" mean {statistics.mean(all_d):.1f} ms, {len(all_d)} calls")  # fmt: skip
    return ok and stable


async def settled(what: str) -> tuple[int, int]:
    """RSS (KB) and descriptors once every ended call's transactions have expired (64*T1) and
    the allocator's free pages were given back (``siperb._memory``: within one interval)."""
    wait = LINGER + TRIM_INTERVAL + 3.0
    await asyncio.sleep(wait)
    gc.collect()
    rss, fd = rss_kb(), fds()
    print(f"settled {what} ({wait:.0f} s without calls): RSS {rss / 1024:.1f} MB, "
          f"{fd} fds, malloc in use {malloc_in_use() / 1e6:.1f} MB, Python arenas "
          f"{python_arenas()}")  # fmt: skip
    return rss, fd


def retained(
    before: tuple[int, int], after: tuple[int, int], tolerance: float, judged: bool = True
) -> bool:
    rss_growth = (after[0] - before[0]) / before[0]
    fd_growth = (after[1] - before[1]) / before[1]
    ok = rss_growth <= tolerance and fd_growth <= tolerance
    verdict = ("flat" if ok else "NOT flat") if judged else "not judged (the high-water round)"
    print(f"left behind: RSS {rss_growth:+.1%}, fds {fd_growth:+.1%}: {verdict} "
          f"(within {tolerance:.0%})")  # fmt: skip
    return ok or not judged


async def run(args: argparse.Namespace, kam: Kamailio) -> bool:
    if not args.no_audio:
        Engine.configure_default(threads=args.engine_threads)
    callee = UserAgent(ua_config(kam, "1001", 1300.0, args.concurrent, not args.no_audio))
    caller = UserAgent(ua_config(kam, "1000", 800.0, args.concurrent, not args.no_audio))
    await callee.start()
    await caller.start()
    soak = Soak(caller, callee, kam)
    gc.callbacks.append(soak.on_gc)
    ok = True
    idle = [("idle before", rss_kb(), fds())]
    try:
        if args.concurrent and args.minutes:
            start = time.monotonic()
            until = start + args.minutes * 60
            sampler = asyncio.get_running_loop().create_task(
                soak.sampler("concurrent", 10.0, until)
            )
            warm_up = args.hold + max(2 * args.hold, LINGER)  # the ramp is one hold
            tracer = (asyncio.get_running_loop().create_task(soak.memory_tracer(30.0, warm_up))
                      if args.trace_memory else None)  # fmt: skip
            await soak.concurrent(args.concurrent, args.minutes, args.hold)
            sampler.cancel()  # the last sample is one taken while the calls were up
            if tracer is not None:
                tracer.cancel()
                tracemalloc.stop()
            ok &= report(soak, "concurrent", start, args.tolerance, warm_up, args.setup_ratio,
                         args.frames_max)  # fmt: skip
        if args.sequential:
            await soak.sequential(SEQUENTIAL_WARM_UP, 0.0)  # not counted: threads, pools, caches
            before = await settled(f"before the {args.sequential} sequential calls")
            for r in range(args.rounds):
                phase = "sequential" if args.rounds == 1 else f"sequential {r + 1}"
                start = time.monotonic()
                sampler = asyncio.get_running_loop().create_task(soak.sampler(phase, 10.0))
                await soak.sequential(args.sequential, args.talk)
                sampler.cancel()
                soak.sample(phase)
                ok &= report(soak, phase, start, args.tolerance, LINGER + 10.0,
                             args.setup_ratio, args.frames_max)  # fmt: skip
                # A phase shorter than its warm-up is judged by what it left behind: memory
                # and descriptors once its transactions expired, against the same before it.
                # With --rounds, the first round raises the allocator to its high-water mark
                # (~5,000 calls' transactions linger at once) and each later one is judged
                # against the round before.
                after = await settled(f"after {phase} ({args.sequential} calls)")
                ok &= retained(before, after, args.tolerance, judged=args.rounds == 1 or r > 0)
                before = after
        await asyncio.sleep(2)
        idle.append(("idle after", rss_kb(), fds()))
        for what, rss, fd in idle:
            print(f"{what}: RSS {rss / 1024:.1f} MB, {fd} fds")
        print(f"calls set up: {len(soak.setups)}, failed: {len(soak.failed)}")
        for reason in sorted(set(soak.failed))[:10]:
            print(f"  failed: {reason} (x{soak.failed.count(reason)})")
        print(f"counters: caller {caller.counters}, callee {callee.counters}")
        return ok and not soak.failed
    finally:
        await caller.close()
        await callee.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--concurrent", type=int, default=500)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--hold", type=float, default=30.0, help="seconds each concurrent call lasts")
    ap.add_argument("--sequential", type=int, default=10000)
    ap.add_argument("--talk", type=float, default=0.0, help="seconds each sequential call talks")
    ap.add_argument("--rounds", type=int, default=1,
                    help="sequential phases in a row; each after the first is judged against "
                         "the one before")  # fmt: skip
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--setup-ratio", type=float, default=2.0,
                    help="first and last full minute setup p50/p99 within this factor")  # fmt: skip
    ap.add_argument("--frames-max", type=float, default=0.01,
                    help="most frames concealed or late at the receivers in any full minute, "
                         "as a fraction of those played")  # fmt: skip
    ap.add_argument("--trim-step", type=float, default=_memory.TRIM_FREE_STEP / (1 << 20),
                    help="MB the allocator's free bytes must grow by for a trim (0: a trim at "
                         "every request, as before)")  # fmt: skip
    ap.add_argument(
        "--engine-threads",
        type=int,
        default=2,
        help="media engine threads (1,000 sessions on this 2-core machine: one per "
        "core, as the README configures an engine at this scale)",
    )
    ap.add_argument("--no-audio", action="store_true", help="SDP only: signalling alone")
    ap.add_argument("--trace-memory", action="store_true",
                    help="tracemalloc growth every 30 s after the concurrent warm-up")  # fmt: skip
    args = ap.parse_args()
    _memory.TRIM_FREE_STEP = int(args.trim_step * (1 << 20))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with tempfile.TemporaryDirectory() as tmp:
        kam = start_kamailio(Path(tmp) / "kam", ipv6=False, shm_mb=512)
        try:
            ok = asyncio.run(run(args, kam))
        finally:
            kam.stop()
    print("soak:", "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
