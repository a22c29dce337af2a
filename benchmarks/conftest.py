"""Shared benchmark plumbing: every benchmark names its implementation, and the run ends with a
table of ratios against siperb within each group, so a report needs no arithmetic by hand.

A benchmark sets ``benchmark.group`` (what is measured) and ``benchmark.extra_info["impl"]``
(who does it: "siperb" or the alternative's name). A group with a floor in floors.py fails the
run when a same-run ratio falls below it (``make bench-ci``, run by ``make test``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from floors import FLOORS

_VIOLATIONS = pytest.StashKey[list[str]]()


def _stat(bench: Any, name: str) -> float | None:
    stats = getattr(bench, "stats", None)
    stats = getattr(stats, "stats", stats)
    return getattr(stats, name, None)


def _median(bench: Any) -> float | None:
    return _stat(bench, "median")


def _groups(config: Any) -> dict[str, list[Any]]:
    session = getattr(config, "_benchmarksession", None)
    groups: dict[str, list[Any]] = {}
    for bench in getattr(session, "benchmarks", None) or []:
        groups.setdefault(bench.group or bench.name, []).append(bench)
    return groups


def _fastest(benches: list[Any]) -> dict[str, float]:
    """Each implementation's fastest round. Floors are judged on it, not on the median:
    another process can only add time to a round, so the minimum is the figure least moved
    by a neighbour's burst during one side's short (0.3 s) run (the advice of timeit's docs)."""
    out: dict[str, float] = {}
    for b in benches:
        fastest = _stat(b, "min")
        if fastest is not None:
            out.setdefault(b.extra_info.get("impl", b.name), fastest)
    return out


def floor_violations(groups: dict[str, list[Any]]) -> list[str]:
    """Each floor of floors.py missed in this run (a group where siperb ran but the
    alternative did not counts: a floor that is never checked guards nothing)."""
    out = []
    for group, floors in sorted(FLOORS.items()):
        fastest = _fastest(groups.get(group, []))
        ours = fastest.get("siperb")
        if ours is None:
            continue
        for impl, floor in floors.items():
            theirs = fastest.get(impl)
            if theirs is None:
                out.append(f"{group}: {impl} did not run (floor {floor}x)")
            elif theirs / ours < floor:
                out.append(f"{group}: {theirs / ours:.1f}x {impl}, below the floor of {floor}x")
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    violations = floor_violations(_groups(session.config))
    session.config.stash[_VIOLATIONS] = violations
    if violations and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, config: Any) -> None:
    """After pytest-benchmark's tables, so that a missed floor is among the last lines."""
    groups = _groups(config)
    if not groups:
        return
    tr = terminalreporter
    tr.write_sep("=", "siperb ratios (median time of the alternative / median time of siperb)")
    for group, benches in sorted(groups.items()):
        ours = [b for b in benches if b.extra_info.get("impl") == "siperb"]
        base = _median(ours[0]) if ours else None
        fastest = _fastest(benches)
        floors = FLOORS.get(group, {})
        tr.write_line(f"{group}:")
        for b in sorted(benches, key=lambda b: _median(b) or 0.0):
            median = _median(b)
            if median is None:
                continue
            impl = b.extra_info.get("impl", b.name)
            ratio = f"{median / base:6.1f}x" if base else "   n/a"
            floor = ""
            if impl in floors and "siperb" in fastest:
                best = fastest[impl] / fastest["siperb"]
                floor = f"   (fastest rounds {best:.1f}x, floor {floors[impl]}x)"
            tr.write_line(f"  {impl:<24} {median * 1e6:10.3f} us   {ratio}{floor}")
    violations = config.stash.get(_VIOLATIONS, [])
    for line in violations:
        tr.write_line(f"RATIO FLOOR MISSED: {line}", red=True, bold=True)
    if FLOORS and groups and not violations:
        tr.write_line("every ratio floor of benchmarks/floors.py that ran was met", green=True)
