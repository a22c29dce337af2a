"""Callers' typing: the README's Python examples and a user script pass ``mypy --strict`` for
every Python version the project supports, against the package's own stubs. numpy arrays into
the codecs were a type error on 3.10 and 3.11 (ndarray has ``__buffer__`` only from 3.12 in
numpy's stubs) until ``_core.pyi`` named ndarray next to Buffer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
USER_SCRIPT = Path(__file__).with_name("typing_user_script.py")


def _requires_python_minor() -> int:
    """The lowest minor version of ``requires-python`` (">=3.10" -> 10)."""
    text = (ROOT / "pyproject.toml").read_text()
    m = re.search(r'^requires-python = ">=3\.(\d+)"', text, re.M)
    assert m, "requires-python is >=3.N"
    return int(m.group(1))


# Each supported minor version up to the running one (mypy checks for older targets too).
VERSIONS = [f"3.{m}" for m in range(_requires_python_minor(), sys.version_info.minor + 1)]


def _sources(tmp_path: Path) -> list[Path]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 4
    files = []
    for i, block in enumerate(blocks):
        f = tmp_path / f"readme_example_{i}.py"
        f.write_text(block)
        files.append(f)
    user = tmp_path / "user_script.py"
    user.write_text(USER_SCRIPT.read_text())
    return [*files, user]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("version", VERSIONS)
def test_readme_examples_and_a_user_script_pass_mypy_strict(tmp_path: Path, version: str) -> None:
    pytest.importorskip("mypy")
    files = _sources(tmp_path)
    env = {**os.environ, "MYPYPATH": str(ROOT / "python")}
    cache = ROOT / "build" / "mypy-callers" / version  # reruns take seconds, not a minute
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", version,
         "--cache-dir", str(cache), "--no-error-summary", *map(str, files)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=550,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_user_script_feeds_numpy_arrays_to_the_codecs() -> None:
    """The script is not vacuous: it hands ndarrays to the entry points the stubs widened."""
    text = USER_SCRIPT.read_text()
    for call in ("encoder.encode(pcm)", "resample(pcm", "stream.process(pcm)",
                 "g711.ulaw_encode(narrow)", "decode_many([np.frombuffer"):  # fmt: skip
        assert call in text
