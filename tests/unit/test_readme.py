"""Every Python example in the README runs, and prints what the README shows after it (a
``text`` block after "It prints:"; ``...`` in a line stands for what varies between runs)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
EXAMPLES = re.findall(
    r"```python\n(.*?)```\n\nIt prints:\n\n```text\n(.*?)```", README.read_text(), flags=re.S
)


def matches(expected: str, printed: str) -> bool:
    """Line by line; ``...`` in an expected line matches any text."""
    want, got = expected.strip().splitlines(), printed.strip().splitlines()
    return len(want) == len(got) and all(
        re.fullmatch(".*".join(map(re.escape, w.split("..."))), g)
        for w, g in zip(want, got, strict=True)
    )


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 4
    assert len(EXAMPLES) == len(BLOCKS), "every example says what it prints"


def test_output_matching_can_fail() -> None:
    assert matches("heard 44... Hz\nok", "heard 442 Hz\nok")
    assert not matches("heard 44... Hz", "heard 880 Hz")
    assert not matches("a\nb", "b\na") and not matches("a", "a\nextra")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_readme_example_runs_and_prints_what_the_readme_shows(index: int) -> None:
    # A subprocess each: the examples are independent programs, as a reader would run them.
    code, expected = EXAMPLES[index]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=50)
    assert proc.returncode == 0, proc.stderr
    assert matches(expected, proc.stdout), f"README shows:\n{expected}\nprinted:\n{proc.stdout}"
