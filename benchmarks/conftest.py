"""Shared benchmark plumbing: every benchmark names its implementation, and the run ends with a
table of ratios against siperb within each group, so a report needs no arithmetic by hand.

A benchmark sets ``benchmark.group`` (what is measured) and ``benchmark.extra_info["impl"]``
(who does it: "siperb" or the alternative's name).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))


def _median(bench: Any) -> float | None:
    stats = getattr(bench, "stats", None)
    stats = getattr(stats, "stats", stats)
    return getattr(stats, "median", None)


def pytest_terminal_summary(terminalreporter: Any, config: Any) -> None:
    session = getattr(config, "_benchmarksession", None)
    if session is None or not session.benchmarks:
        return
    groups: dict[str, list[Any]] = {}
    for bench in session.benchmarks:
        groups.setdefault(bench.group or bench.name, []).append(bench)
    tr = terminalreporter
    tr.write_sep("=", "siperb ratios (median time of the alternative / median time of siperb)")
    for group, benches in sorted(groups.items()):
        ours = [b for b in benches if b.extra_info.get("impl") == "siperb"]
        base = _median(ours[0]) if ours else None
        tr.write_line(f"{group}:")
        for b in sorted(benches, key=lambda b: _median(b) or 0.0):
            median = _median(b)
            if median is None:
                continue
            impl = b.extra_info.get("impl", b.name)
            ratio = f"{median / base:6.1f}x" if base else "   n/a"
            tr.write_line(f"  {impl:<24} {median * 1e6:10.3f} us   {ratio}")
