"""The SIP stack's import layering, read from the source with ``ast`` (TYPE_CHECKING included).

``siperb.sip`` sits below media, phone and the apps; the UA's children (calls, registration,
subscriptions) see the stack only through ``siperb.sip.stack`` so the UA can import them
without a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import siperb.sip

SIP_DIR = Path(siperb.sip.__file__).parent
UA = "siperb.sip.useragent"
UA_OWN = {UA}  # the UA's own modules may import it
ABOVE = ("siperb.media", "siperb.phone", "siperb.cli", "siperb.demo", "siperb.__main__")
#: The UA's parts that its children must not reach around the SipStack protocol.
UA_PARTS = (UA, "siperb.sip.router", "siperb.sip.connection", "siperb.sip.requests")


def _module_name(path: Path) -> str:
    parts = ["siperb", "sip", *path.relative_to(SIP_DIR).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SIP_DIR.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Absolute names of what ``name`` imports; ``from pkg import sub`` counts as ``pkg.sub``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def test_the_walk_sees_the_stack() -> None:
    graph = _graph()
    assert {UA, "siperb.sip.stack", "siperb.sip.session.call", "siperb.sip.call"} <= set(graph)
    assert "siperb.sip.session.base" in graph[UA] or "siperb.sip.session" in graph[UA]


def test_only_the_ua_imports_the_ua() -> None:
    offenders = {m for m, deps in _graph().items() if UA in deps and m not in UA_OWN}
    assert offenders == set()


def test_sip_never_imports_the_layers_above() -> None:
    offenders = {
        (m, dep) for m, deps in _graph().items() for dep in deps
        if any(dep == above or dep.startswith(above + ".") for above in ABOVE)
    }  # fmt: skip
    assert offenders == set()


def test_children_see_only_the_stack_protocol() -> None:
    children = [
        m for m in _graph()
        if m.startswith("siperb.sip.session") or m in (
            "siperb.sip.call", "siperb.sip.registration", "siperb.sip.subscription",
            "siperb.sip.stack",
        )
    ]  # fmt: skip
    graph = _graph()
    offenders = {(m, dep) for m in children for dep in graph[m] if dep in UA_PARTS}
    assert offenders == set()


def test_no_import_cycles_between_sip_modules() -> None:
    graph = _graph()
    edges = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(node) :], node]))
        if node in done:
            return
        for dep in sorted(edges[node]):
            visit(dep, [*path, node])
        done.add(node)

    for module in sorted(edges):
        visit(module, [])
