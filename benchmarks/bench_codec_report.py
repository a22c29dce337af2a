"""Shared by the codec benchmarks: a module-end table of each op's times against siperb's.

(No benchmarks here; the name only follows the codec benchmarks' file pattern.)
"""

from __future__ import annotations

import pytest


def print_ratios(
    request: pytest.FixtureRequest, title: str, unit: str, results: dict[str, float]
) -> None:
    """Print ``results`` ("<impl> <op>" -> time) per op with the ratio to "siperb <op>".

    Written past pytest's output capture, so a plain `make bench` shows it.
    """
    lines = ["", title]
    for op in ("encode", "decode"):
        base = results.get(f"siperb {op}")
        for name, value in results.items():
            if name.endswith(f" {op}") and base:
                lines.append(f"  {name:32s} {value:9.2f} {unit}   x{value / base:6.3f}")
    for name, value in results.items():
        if not name.endswith((" encode", " decode")):
            lines.append(f"  {name:32s} {value:9.2f} {unit}   (included in every row above)")
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if tr is None or capture is None or len(lines) == 2:
        return
    with capture.global_and_fixture_disabled():
        for line in lines:
            tr.write_line(line)
