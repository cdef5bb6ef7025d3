"""The building blocks every kind's reader and writer is made of (the codec drives them).

A kind module reads a document with a `Reader` (typed values, every type error with its
path) and writes a *fragment*: the modelled fields laid onto the original document by the
codec's overlay, where `DELETE` removes a field, `Resolve` decides a value against the
original (to keep its spelling when unchanged) and `Opaque` is written as a whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .errors import FieldError, NotExpressible, type_name
from .quantity import InvalidQuantity, quantity_value
from .shapes import dotted, locate

if TYPE_CHECKING:
    from .model import SMIObject


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING: Any = _Marker("MISSING")


DELETE: Any = _Marker("DELETE")


SKIP: Any = _Marker("SKIP")


class Reader:
    """Reads typed values out of a raw document, collecting every type error with its path."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.errors: list[FieldError] = []

    def error(self, path: str, expected: str, value: Any) -> None:
        self.errors.append(FieldError(path, "type", f"expected {expected}, got {type_name(value)}"))

    def at(self, path: tuple[str, ...] | None) -> Any:
        """The value at a path of the document, MISSING if it (or a parent) is absent or null."""
        if path is None:
            return MISSING
        value: Any = self.doc
        for depth, segment in enumerate(path):
            if value is None:
                return MISSING
            if not isinstance(value, dict):
                self.error(dotted(path[:depth]), "an object", value)
                return MISSING
            value = value.get(segment, MISSING)
            if value is MISSING:
                return MISSING
        return None if value is None else value

    def string(self, value: Any, path: str) -> str | None:
        if value is MISSING or value is None:
            return None
        if not isinstance(value, str):
            self.error(path, "a string", value)
            return None
        return value

    def items(self, value: Any, path: str) -> list[tuple[str, Any]] | None:
        """`[(path_of_item, item), ...]` of a list, None when absent."""
        if value is MISSING or value is None:
            return None
        if not isinstance(value, list):
            self.error(path, "a list", value)
            return None
        for index, item in enumerate(value):
            if item is None:  # null items cannot be modelled (and would be lost on writing)
                self.error(f"{path}[{index}]", "a value", item)
        return [(f"{path}[{index}]", item) for index, item in enumerate(value)]

    def mapping(self, value: Any, path: str) -> dict[str, Any] | None:
        if value is MISSING or value is None:
            return None
        if not isinstance(value, dict):
            self.error(path, "an object", value)
            return None
        return value

    def strings(self, value: Any, path: str) -> list[str] | None:
        items = self.items(value, path)
        if items is None:
            return None
        return [text for item_path, item in items if (text := self.string(item, item_path)) is not None]

    def integer(self, value: Any, path: str) -> int | None:
        if value is MISSING or value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, "an integer", value)
            return None
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            self.error(path, "an integer", value)
            return None
        return int(value)

    def weight(self, value: Any, path: str, version: str) -> Fraction | None:
        if value is MISSING or value is None:
            return None
        if version == "v1alpha1":
            try:
                return quantity_value(value)
            except InvalidQuantity as error:
                self.errors.append(FieldError(path, "invalid-quantity", error.reason))
                return None
        if isinstance(value, bool) or not is_finite_number(value):
            self.error(path, "a number", value)
            return None
        return exact(value)


def is_finite_number(value: Any) -> bool:
    """An int (of any size: `math.isfinite` overflows on huge ones) or a finite float."""
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


@dataclass(frozen=True)
class Resolve:
    """A value decided against the original node (to keep its spelling when unchanged)."""

    decide: Callable[[Any], Any]


@dataclass(frozen=True)
class Opaque:
    """A value written as a whole (metadata): the model holds all of it."""

    value: Any


def put(fragment: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = fragment
    for segment in path[:-1]:
        node = node.setdefault(segment, {})
    node[path[-1]] = value


def source_path(obj: SMIObject, role: str) -> str:
    """Where a modelled value lives in the object's own version (or in the latest, if not there)."""
    path = locate(obj.kind, obj.version, role) or locate(obj.kind, obj.INFO.latest_version, role)
    return dotted(path or (role,))


def optional(
    entry: dict[str, Any], key: str, value: Any, *, in_target: bool, in_source: bool, field: str, target: str
) -> None:
    """Write a field the target may lack: refuse a value it cannot hold, drop an empty leftover."""
    if in_target:
        entry[key] = DELETE if value is None else value
    elif value not in (None, []):
        raise NotExpressible(field, target, f"{target} has no field for it")
    elif in_source:
        entry[key] = DELETE


def exact(number: int | float) -> Fraction:
    return Fraction(number) if isinstance(number, int) else Fraction(Decimal(repr(number)))
