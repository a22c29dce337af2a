"""Dataclasses mirrored by native value classes with the same field names, converted both ways.

The Python side keeps typed, documented dataclasses (``siperb.sdp``); the native side has a
pybind11 class per dataclass. A :class:`NativeMirror` converts a whole tree (nested
dataclasses, lists, optionals, enums by value) and caches one plan per class and direction,
so a conversion is an attrgetter call plus the fields that need converting.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

_T = TypeVar("_T")
_Convert = Callable[[Any], Any]
#: (attrgetter of all fields, [(field index, converter)], field names)
_Plan = tuple[_Convert, list[tuple[int, _Convert]], list[str]]


class NativeMirror:
    """Converts between dataclasses and their native twins (``natives[cls]`` builds a twin)."""

    def __init__(self, natives: Mapping[type, Callable[..., Any]]) -> None:
        self._natives = dict(natives)
        self._plans: dict[tuple[type, bool], _Plan] = {}

    def to_native(self, value: Any) -> Any:
        values, names = self._fields(type(value), value, True)
        return self._natives[type(value)](**dict(zip(names, values, strict=True)))

    def from_native(self, cls: type[_T], native: Any) -> _T:
        values, _ = self._fields(cls, native, False)
        return cls(*values)

    def _converter(self, hint: Any, to_native: bool) -> _Convert | None:
        """How to convert a field value of type ``hint`` (None: it can be passed as it is)."""
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            inner = self._converter(next(a for a in args if a is not type(None)), to_native)
            return None if inner is None else (lambda v: None if v is None else inner(v))
        if origin is list:
            item = self._converter(args[0], to_native)
            return None if item is None else (lambda v: [item(x) for x in v])
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self.to_native if to_native else (lambda v: self.from_native(hint, v))
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return (lambda v: hint(v).value) if to_native else hint  # accepts the SDP spelling
        return None  # str, int, bool, and tuples or lists of them

    def _fields(self, cls: type, source: Any, to_native: bool) -> tuple[list[Any], list[str]]:
        """The field values of ``source`` (an instance of ``cls`` or its twin), converted."""
        plan = self._plans.get((cls, to_native))
        if plan is None:
            hints = typing.get_type_hints(cls)
            names = [f.name for f in dataclasses.fields(cls)]
            converters = [(i, self._converter(hints[n], to_native)) for i, n in enumerate(names)]
            convert = [(i, c) for i, c in converters if c is not None]
            plan = (operator.attrgetter(*names), convert, names)
            self._plans[(cls, to_native)] = plan
        getter, convert, names = plan
        values = list(getter(source))
        for i, conv in convert:
            values[i] = conv(values[i])
        return values, names
