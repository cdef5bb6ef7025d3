"""Field descriptions of every SMI kind and version: the one place that says what a document holds.

The codec reads and writes documents through these descriptions (where a field lives in
each version, which optional fields a version has), validation walks them to type-check
raw dicts, and the JSON schemas are generated from them. Adding a field to a version is
therefore one edit here, and the codec, the validation and the schemas follow.

A node's `role` names what the codec maps onto it (`"backends"`, `"rules"`...), so the
codec finds TrafficTarget rules under `specs` in v1alpha1 and `spec.rules` later without
hard-coding either path. `strict` holds extra JSON-schema keywords that only the project's
own (stricter) schema applies; the CRD-like schema ignores them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from .names import DNS1123_LABEL_MAX, DNS1123_LABEL_PATTERN, DNS1123_SUBDOMAIN_MAX, DNS1123_SUBDOMAIN_PATTERN

# Value types a node can have. "quantity" is a Kubernetes quantity (int or string);
# "string-map" an object whose values are strings (one header filter).
NODE_TYPES = ("object", "array", "string", "integer", "quantity", "string-map")

# Schema keywords several kinds share (only the project's own, stricter schema applies them).
LABEL = MappingProxyType({"pattern": DNS1123_LABEL_PATTERN, "maxLength": DNS1123_LABEL_MAX})
SUBDOMAIN = MappingProxyType({"pattern": DNS1123_SUBDOMAIN_PATTERN, "maxLength": DNS1123_SUBDOMAIN_MAX})
PORT = MappingProxyType({"minimum": 1, "maximum": 65535})

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, eq=False)
class Node:
    """The description of one value in a document of one kind and version."""

    type: str
    doc: str = ""
    properties: Mapping[str, Node] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    items: Node | None = None
    enum: tuple[str, ...] = ()
    role: str = ""
    strict: Mapping[str, Any] = field(default_factory=dict)
    # Required by the SMI spec text although no published CRD schema requires it.
    spec_required: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in NODE_TYPES:
            raise ValueError(f"unknown node type {self.type!r}")

    def child(self, name: str) -> Node | None:
        return self.properties.get(name)


def obj(
    doc: str = "",
    *,
    required: tuple[str, ...] = (),
    spec_required: tuple[str, ...] = (),
    role: str = "",
    strict: Mapping[str, Any] = _EMPTY,
    **properties: Node,
) -> Node:
    return Node(
        "object",
        doc,
        properties=MappingProxyType(dict(properties)),
        required=required,
        spec_required=spec_required,
        role=role,
        strict=strict,
    )


def array(items: Node, doc: str = "", *, role: str = "", strict: Mapping[str, Any] = _EMPTY) -> Node:
    return Node("array", doc, items=items, role=role, strict=strict)


def string(doc: str = "", *, enum: tuple[str, ...] = (), role: str = "", strict: Mapping[str, Any] = _EMPTY) -> Node:
    return Node("string", doc, enum=enum, role=role, strict=strict)


def integer(doc: str = "", *, role: str = "", strict: Mapping[str, Any] = _EMPTY) -> Node:
    return Node("integer", doc, role=role, strict=strict)


def quantity(doc: str = "", *, role: str = "") -> Node:
    return Node("quantity", doc, role=role)


def string_map(doc: str = "", *, role: str = "") -> Node:
    return Node("string-map", doc, role=role)


def document(*, required: tuple[str, ...] = (), spec_required: tuple[str, ...] = (), **fields: Node) -> Node:
    """The root of a manifest: type meta, object meta and the version's own fields."""
    return obj(
        required=required,
        spec_required=spec_required,
        apiVersion=string("The API group and version of this object."),
        kind=string("The kind of this object."),
        metadata=obj("Standard Kubernetes object metadata.", role="metadata"),
        **fields,
    )


def shape(kind: str, version: str) -> Node:
    """The description of a kind at a version (held by its registry entry); KeyError names both when absent."""
    from .kinds import REGISTRY  # the kind modules build their shapes with this module's helpers

    spec = REGISTRY.get(kind)
    if spec is None or version not in spec.shapes:
        raise KeyError(f"{kind} has no version {version!r}")
    return spec.shapes[version]


def walk(node: Node, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Node]]:
    """Every node below `node` with its path; array items appear under the segment `[]`."""
    yield path, node
    for name, child in node.properties.items():
        yield from walk(child, (*path, name))
    if node.items is not None:
        yield from walk(node.items, (*path, "[]"))


@cache
def locate(kind: str, version: str, role: str) -> tuple[str, ...] | None:
    """Where the node playing `role` lives in a version (`("spec", "rules")`), or None if absent."""
    for path, node in walk(shape(kind, version)):
        if node.role == role:
            return path
    return None


@cache
def node_for(kind: str, version: str, role: str) -> Node | None:
    for _path, node in walk(shape(kind, version)):
        if node.role == role:
            return node
    return None


def dotted(path: tuple[str, ...]) -> str:
    """`("spec", "backends", "[]", "weight")` -> `spec.backends[].weight`."""
    text = ""
    for segment in path:
        if segment == "[]":
            text += "[]"
        else:
            text += f".{segment}" if text else segment
    return text
