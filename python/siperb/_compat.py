"""Import paths from before the layout step, kept working as aliases.

``siperb.audio``, ``siperb.codecs`` (and its submodules), ``siperb.rtp``, ``siperb.rtcp``,
``siperb.dtmf`` and ``siperb.jitterbuffer`` moved into :mod:`siperb.media`; the product modules
(``siperb.phone``'s ``call``, ``options``, ``provisioning``, ``history``, ``frame``, ``i18n``
and ``api``, now ``rest``) into :mod:`siperb.phone`. An old name imports the new module itself
(one module object, so classes compare equal and ``isinstance`` holds), never a copy.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

#: old dotted name (under ``siperb.``) -> new one
MOVED = {
    "audio": "media.audio",
    "codecs": "media.codecs",
    "rtp": "media.rtp",
    "rtcp": "media.rtcp",
    "dtmf": "media.dtmf",
    "jitterbuffer": "media.jitterbuffer",
    "call": "phone.call",
    "options": "phone.options",
    "provisioning": "phone.provisioning",
    "history": "phone.history",
    "frame": "phone.frame",
    "i18n": "phone.i18n",
    "api": "phone.rest",
}


def new_name(fullname: str) -> str | None:
    """The module an old ``siperb.x[.y]`` name now lives at, or None."""
    package, _, rest = fullname.partition(".")
    if package != __package__ or not rest:
        return None
    head, _, tail = rest.partition(".")
    moved = MOVED.get(head)
    if moved is None:
        return None
    return f"{package}.{moved}" + (f".{tail}" if tail else "")


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """The target module ran when it was imported under its own name."""


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        moved = new_name(fullname)
        if moved is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(moved))


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())  # before the path finder, which would load a copy
