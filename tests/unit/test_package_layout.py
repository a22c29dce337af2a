"""The package's shape: no import circles, each layer imports only the layers below it.

Every import counts, at module level, inside functions and under ``TYPE_CHECKING``: a circle
held together by a lazy or type-only import is still a circle in the design. A submodule import
(``from . import engine``) is an edge to the submodule only; that Python initialises the parent
package first is not a dependency of the importer.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import siperb

ROOT = Path(siperb.__file__).parent

#: Layers, lowest first: a module may import its own layer and the ones before it.
BASE = ("siperb._core", "siperb._compat", "siperb._memory", "siperb._mirror", "siperb._version",
        "siperb.errors", "siperb.events", "siperb.sdp")  # fmt: skip
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", BASE),
    ("cli output", ("siperb.cli_output",)),  # the command's printing helpers: base only
    ("sip", ("siperb.sip",)),
    ("media", ("siperb.media",)),
    ("phone", ("siperb.phone",)),
    ("apps", ("siperb.cli", "siperb.demo", "siperb.serve", "siperb.ui", "siperb.__main__")),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_module(name: str, known: dict[str, Path]) -> bool:
    return name in known or name == "siperb._core"


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The siperb modules ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "siperb")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "siperb":
                continue
            subs = [f"{target}.{a.name}" for a in node.names]
            modules = [s for s in subs if _is_module(s, known)]
            found.update(modules)
            if len(modules) < len(subs):  # names defined in the package itself
                found.add(target)
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(name, path, known) & set(known) for name, path in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _layer(name: str) -> int | None:
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return i
    return None


def test_the_graph_sees_real_imports() -> None:
    graph = _graph()
    assert "siperb.sip.session" in graph["siperb.media.sdp_media"]
    assert "siperb.media.engine" in graph["siperb.media.call_media"]  # from . import engine
    assert "siperb.phone.call" in graph["siperb.phone.tracking"]
    assert "siperb.sip.session.connect" in graph["siperb.sip.session.invite"]
    assert "siperb.sip.useragent" in graph["siperb.phone.phone"]


def test_the_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles() -> None:
    assert _cycles(_graph()) == []


def test_layers_import_only_downwards() -> None:
    wrong = []
    for name, imported in _graph().items():
        if name == "siperb":
            continue  # the public face re-exports every layer
        mine = _layer(name)
        assert mine is not None, f"{name} belongs to no layer: add it to LAYERS"
        for other in imported:
            theirs = _layer(other)
            if theirs is not None and theirs > mine:
                wrong.append(f"{name} ({LAYERS[mine][0]}) imports {other} ({LAYERS[theirs][0]})")
    assert wrong == []


#: The user agent's own parts: the UA's children (the INVITE session, registration,
#: subscriptions) reach the stack only through the ``siperb.sip.stack`` protocols.
UA_PARTS = ("siperb.sip.useragent", "siperb.sip.router", "siperb.sip.connection",
            "siperb.sip.requests")  # fmt: skip
UA_CHILDREN = ("siperb.sip.session", "siperb.sip.call", "siperb.sip.registration",
               "siperb.sip.subscription", "siperb.sip.stack", "siperb.sip.dialog",
               "siperb.sip.transaction", "siperb.sip.transport", "siperb.sip.auth",
               "siperb.sip.resolver")  # fmt: skip


def test_only_the_user_agent_imports_its_parts() -> None:
    wrong = [
        f"{name} imports {sorted(set(imported) & set(UA_PARTS))}"
        for name, imported in _graph().items()
        if name.startswith(UA_CHILDREN) and set(imported) & set(UA_PARTS)
    ]
    assert wrong == []


#: Files allowed over ~500 lines, each with the reason.
LONG_FILES = {
    "python/siperb/_core.pyi": "the stubs of the whole native module, checked by stubtest",
}


def _repo() -> Path:
    return ROOT.parent.parent


@pytest.mark.skipif(not (_repo() / "csrc").is_dir(), reason="needs the source tree")
def test_files_keep_to_one_concern() -> None:
    repo = _repo()
    long = []
    for folder, patterns in (("csrc", ("*.cpp", "*.hpp")), ("python/siperb", ("*.py", "*.pyi"))):
        for pattern in patterns:
            for path in (repo / folder).rglob(pattern):
                rel = path.relative_to(repo).as_posix()
                lines = path.read_text().count("\n")
                if lines > 520 and rel not in LONG_FILES:
                    long.append(f"{rel}: {lines} lines")
    assert long == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("siperb.audio", "siperb.media.audio"),
        ("siperb.codecs", "siperb.media.codecs"),
        ("siperb.codecs.g711", "siperb.media.codecs.g711"),
        ("siperb.rtp", "siperb.media.rtp"),
        ("siperb.rtcp", "siperb.media.rtcp"),
        ("siperb.dtmf", "siperb.media.dtmf"),
        ("siperb.jitterbuffer", "siperb.media.jitterbuffer"),
        ("siperb.history", "siperb.phone.history"),
        ("siperb.provisioning", "siperb.phone.provisioning"),
        ("siperb.options", "siperb.phone.options"),
        ("siperb.i18n", "siperb.phone.i18n"),
        ("siperb.api", "siperb.phone.rest"),
    ],
)
def test_old_import_paths_are_the_new_modules(old: str, new: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(new)


def test_old_paths_work_in_from_imports() -> None:
    from siperb.audio import BufferSink  # type: ignore[import-not-found]
    from siperb.codecs import g711  # type: ignore[import-not-found]

    from siperb.media.audio import BufferSink as NewBufferSink
    from siperb.media.codecs import g711 as new_g711

    assert BufferSink is NewBufferSink and g711 is new_g711
    assert siperb.audio is siperb.media.audio and siperb.rtp is siperb.media.rtp


def test_an_unknown_submodule_still_fails() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("siperb.no_such_module")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("siperb.codecs.no_such_codec")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("audio_not_ours")
