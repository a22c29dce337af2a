"""Release basics (#18): licence, changelog, one version, metadata, the sdist's contents, the
two install paths, and the API reference's docstrings."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
import tomllib

import siperb
from siperb import _core, cli

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_license_is_the_mit_text_with_the_holder() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 The siperb maintainers\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]


def test_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in text and "## [Unreleased]" in text
    versions = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert versions[0] == ("Unreleased", "") and len(versions) >= 4
    assert all(date for _, date in versions[1:])  # every released section is dated
    for heading in re.findall(r"^### (.+)$", text, re.M):
        assert heading in {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_one_version_everywhere() -> None:
    """_version.py is the source: the package, the native core and the metadata agree."""
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|rc\d+)?", siperb.__version__)
    assert _core.__version__ == siperb.__version__
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["scikit-build"]["metadata"]["version"]["input"] == (
        "python/siperb/_version.py"
    )
    for path in (ROOT / "csrc").rglob("*.[ch]pp"):  # no second copy of the number
        assert f'"{siperb.__version__}"' not in path.read_text(), path


def test_siperb_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"siperb {siperb.__version__} (core {siperb.__version__}, libopus ")
    assert f"Python {sys.version_info.major}.{sys.version_info.minor}" in out


def test_metadata_names_status_os_pythons_licence_and_urls() -> None:
    project = PYPROJECT["project"]
    classifiers = project["classifiers"]
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert "Operating System :: POSIX :: Linux" in classifiers
    minimum = int(re.fullmatch(r">=3\.(\d+)", project["requires-python"]).group(1))  # type: ignore[union-attr]
    tested = [int(c.rsplit(".", 1)[1]) for c in classifiers
              if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]  # fmt: skip
    assert tested and min(tested) >= minimum
    assert sys.version_info.minor in tested  # the Python this suite runs on is named
    assert {"Homepage", "Documentation", "Changelog", "Issues"} <= set(project["urls"])
    assert project["authors"] and project["keywords"]


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    done = subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation",
                           "--outdir", str(out), str(ROOT)], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    if done.returncode != 0 and "No module named build" in done.stderr:
        pytest.skip("python -m build is not installed (requirements-dev.txt)")
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = out.glob("siperb-*.tar.gz")
    return path


@pytest.mark.timeout(300)
def test_sdist_has_the_sources_and_not_the_tests_bulky_data(sdist: Path) -> None:
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1]: m.size for m in tar.getmembers() if "/" in m.name}
    names = list(members)
    for needed in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "CMakeLists.txt",
                   "csrc/audio/portaudio_api.cpp", "python/siperb/_core.pyi",
                   "python/siperb/py.typed", "examples/voice_bot.py",
                   "scripts/build_static_deps.sh"):  # fmt: skip
        assert needed in names, needed
    for name in names:
        assert not name.startswith(("fuzz/seeds/", "fuzz/corpus-", "tests/data/", "build/",
                                    ".venv/", "dist/", "wheelhouse/")), name  # fmt: skip
        assert not name.endswith((".pcap", ".wav", ".so", ".sqlite3", ".pyc")), name
    # No single bulky file (the largest source, the README, is ~70 KB; a recording, capture or
    # corpus file is larger), and the whole stays small (sources were ~1 MB in session 6: the
    # limit leaves room for the code to grow, not for data).
    largest = max(members, key=members.__getitem__)
    assert members[largest] < 160_000, (largest, members[largest])
    assert sdist.stat().st_size < 2_000_000, sdist.stat().st_size


def _bootstrap_list(mode: str) -> set[str]:
    env = {**os.environ, "SIPERB_BOOTSTRAP_LIST": "1"}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "bootstrap.sh"), mode], env=env,
                          capture_output=True, text=True, check=True, timeout=30)  # fmt: skip
    return set(done.stdout.split())


def test_make_demo_installs_only_what_the_demo_needs() -> None:
    demo, full = _bootstrap_list("demo"), _bootstrap_list("all")
    assert {"libopus-dev", "libsrtp2-dev", "libspeexdsp-dev", "portaudio19-dev"} <= demo
    assert demo < full
    for peer in ("kamailio", "baresip", "sip-tester", "pulseaudio", "clang", "rtpengine-daemon"):
        assert peer in full and peer not in demo


def test_make_demo_and_make_test_take_their_install_path() -> None:
    def plan(target: str) -> str:
        # -W: as if bootstrap.sh had changed, so make shows every install step it would run
        return subprocess.run(["make", "-n", "-C", str(ROOT), target, "-W",
                               "scripts/bootstrap.sh"], capture_output=True, text=True,
                              check=True, timeout=60).stdout  # fmt: skip

    demo = plan("demo")
    assert "bash scripts/bootstrap.sh demo" in demo and "bootstrap.sh all" not in demo
    assert "bash scripts/bootstrap.sh all" in plan("test")


# ---- docstrings and the API reference ----


def public_members() -> list[tuple[str, Any]]:
    """siperb's public API: the classes and functions of ``siperb.__all__`` and their public
    methods and properties (the SDK-style aliases share their twin's docstring)."""
    out: list[tuple[str, Any]] = []
    for name in siperb.__all__:
        obj = getattr(siperb, name)
        if inspect.ismodule(obj) or not callable(obj):
            continue
        out.append((name, obj))
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if isinstance(value, staticmethod | classmethod):
                    value = value.__func__
                if callable(value) or isinstance(value, property):
                    out.append((f"{name}.{attr}", value))
    return out


def test_every_public_member_has_a_docstring() -> None:
    members = public_members()
    assert len(members) > 100
    missing = [name for name, obj in members if not (inspect.getdoc(obj) or "").strip()]
    assert missing == [], f"public members without a docstring: {missing}"


@pytest.mark.timeout(600)
def test_make_docs_generates_the_reference_with_pdoc(tmp_path: Path) -> None:
    recipe = subprocess.run(["make", "-n", "-C", str(ROOT), "docs"], capture_output=True,
                            text=True, check=True, timeout=60).stdout  # fmt: skip
    assert "-m pdoc --docformat restructuredtext -o docs/api siperb" in recipe
    pytest.importorskip("pdoc")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    subprocess.run([sys.executable, "-m", "pdoc", "--docformat", "restructuredtext", "-o",
                    str(tmp_path), "siperb"], check=True, env=env, capture_output=True,
                   timeout=550)  # fmt: skip
    page = (tmp_path / "siperb.html").read_text()
    assert inspect.getdoc(siperb.Call.answer) in page  # the docstrings are the reference
    assert "ProvisionPhone" in page and (tmp_path / "siperb" / "media.html").exists()


# ---- PortAudio is loaded when a device is first used ----


def test_portaudio_is_loaded_only_when_a_device_is_used() -> None:
    code = textwrap.dedent("""\
        import siperb
        from siperb import media
        from siperb.media.codecs import opus
        opus.OpusEncoder(48000, 1).encode(bytes(1920))
        media.Engine.default().session().close()
        maps = lambda: open("/proc/self/maps").read()
        print("before", "libportaudio" in maps())
        from siperb.media.audio import list_devices
        try:
            list_devices()
        except siperb.SiperbError as exc:
            print("error", exc)
        print("after", "libportaudio" in maps())
        """)  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "before False"  # import, codecs and the engine did not load it
    assert lines[-1] == "after True"  # the device listing did (PortAudio is installed here)
