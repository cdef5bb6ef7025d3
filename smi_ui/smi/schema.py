"""JSON schemas generated from the field descriptions in `shapes`.

`crd_schema(kind, version, flavour)` is the `openAPIV3Schema` a CRD carries, and behaves
like the schema of that publisher's official CRD: one base per kind and version is
generated from the shapes (the same descriptions the codec reads and writes with), and
each publisher's differences are applied to it as a short list of patches (`FLAVOURS`).
The publishers are lenient in the same few ways (weights typed `number`, fields the
version never had), and Traefik Mesh ships schema-less CRDs for its unserved versions.

`model_schema(kind, version)` is the stricter JSON Schema of what the project itself
writes (names, non-negative integers, non-empty lists...). `unknown_fields` finds the
fields a strict apiserver refuses with 400 ("strict decoding error: unknown field").
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from .kinds import REGISTRY, kind_info
from .kindspec import LiveMapping, Patch
from .names import DNS1123_LABEL_PATTERN, DNS1123_SUBDOMAIN_MAX, DNS1123_SUBDOMAIN_PATTERN, HEADER_NAME_PATTERN
from .quantity import QUANTITY_PATTERN
from .shapes import Node, shape

DEFAULT_FLAVOUR = "smi-sdk-go"

# The fields of ObjectMeta: what a strict apiserver accepts under `metadata`.
OBJECT_META_FIELDS = frozenset(
    {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
        "ownerReferences", "finalizers", "managedFields",
    }
)  # fmt: skip
_TYPE_META = ("apiVersion", "kind", "metadata")


class SchemaNotPublished(LookupError):
    """The publisher's CRD has no schema for this kind/version (it does not list the version)."""



@dataclass(frozen=True)
class Flavour:
    """The CRDs of one publisher: versions with a full schema, versions that accept anything, patches."""

    name: str
    structural: Mapping[str, tuple[str, ...]]
    schemaless: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    patches: tuple[Patch, ...] = ()




def _flavours() -> dict[str, Flavour]:
    """Each publisher's CRDs, gathered from what every registered kind says it publishes."""
    gathered: dict[str, dict[str, Any]] = {}
    for spec in REGISTRY:
        for name, published in spec.published.items():
            entry = gathered.setdefault(name, {"structural": {}, "schemaless": {}, "patches": []})
            if published.structural:
                entry["structural"][spec.kind] = published.structural
            if published.schemaless:
                entry["schemaless"][spec.kind] = published.schemaless
            entry["patches"].extend(published.patches)
    return {
        name: Flavour(name, entry["structural"], entry["schemaless"], tuple(entry["patches"]))
        for name, entry in gathered.items()
    }


FLAVOURS: Mapping[str, Flavour] = LiveMapping(_flavours)
FLAVOUR_ALIASES = {"default": DEFAULT_FLAVOUR}


def flavour(name: str) -> Flavour:
    try:
        return FLAVOURS[FLAVOUR_ALIASES.get(name, name)]
    except KeyError:
        raise KeyError(f"unknown CRD flavour {name!r}; known: {', '.join(FLAVOURS)}") from None


# --- the CRD-like schema --------------------------------------------------------------------


def base_schema(kind: str, version: str) -> dict[str, Any]:
    """The structural schema the field descriptions of a kind/version imply, before publisher patches."""
    return _openapi(shape(kind, version))


def crd_schema(kind: str, version: str, flavour: str = DEFAULT_FLAVOUR) -> dict[str, Any]:
    """The `openAPIV3Schema` of `kind` at `version` in the CRD of publisher `flavour`.

    Raises SchemaNotPublished when that publisher's CRD does not list the version.
    """
    return copy.deepcopy(_crd_schema(kind, version, FLAVOUR_ALIASES.get(flavour, flavour)))


@cache
def _crd_schema(kind: str, version: str, flavour_name: str) -> dict[str, Any]:
    publisher = flavour(flavour_name)
    kind_info(kind)
    if version in publisher.schemaless.get(kind, ()):
        return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    if version not in publisher.structural.get(kind, ()):
        raise SchemaNotPublished(f"the {publisher.name} CRD of {kind} has no schema for {version}")
    schema = base_schema(kind, version)
    for patch in publisher.patches:
        if patch.kind == kind and version in patch.versions:
            _apply(schema, patch)
    return schema


def _openapi(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if node.type == "object":
        out["type"] = "object"
        if node.required:
            out["required"] = list(node.required)
        if node.properties:
            out["properties"] = {
                name: {"type": "object"} if child.role == "metadata" else _openapi(child)
                for name, child in node.properties.items()
            }
    elif node.type == "array":
        out["type"] = "array"
        out["items"] = _openapi(node.items)
    elif node.type == "string":
        out["type"] = "string"
        if node.enum:
            out["enum"] = list(node.enum)
    elif node.type == "integer":
        out["type"] = "integer"
    elif node.type == "quantity":
        out["x-kubernetes-int-or-string"] = True
    else:  # string-map
        out["type"] = "object"
        out["additionalProperties"] = {"type": "string"}
    if node.doc:
        out["description"] = node.doc
    return out


def _segments(path: str) -> list[str]:
    return [segment for part in path.split(".") for segment in _split_items(part)]


def _split_items(part: str) -> Iterator[str]:
    name = part.replace("[]", "")
    if name:
        yield name
    for _ in range(part.count("[]")):
        yield "[]"


def _navigate(schema: dict[str, Any], segments: list[str]) -> dict[str, Any]:
    node = schema
    for segment in segments:
        node = node["items"] if segment == "[]" else node["properties"][segment]
    return node


def _apply(schema: dict[str, Any], patch: Patch) -> None:
    *parents, name = _segments(patch.path)
    parent = _navigate(schema, parents)
    if patch.op == "retype":
        target = parent["properties"][name]
        target.pop("x-kubernetes-int-or-string", None)
        target["type"] = patch.value
    elif patch.op == "require":
        parent.setdefault("required", [])
        if name not in parent["required"]:
            parent["required"].append(name)
    elif patch.op == "add":
        parent.setdefault("properties", {})[name] = _openapi(patch.value)
    elif patch.op == "drop":
        parent["properties"].pop(name)
        if name in parent.get("required", []):
            parent["required"].remove(name)
    else:  # pragma: no cover - the patches above are the only ones
        raise ValueError(f"unknown patch operation {patch.op!r}")


def flavour_differences() -> list[str]:
    """One line per publisher difference from the generated base (for reports and the docs)."""
    lines = []
    for publisher in FLAVOURS.values():
        for patch in publisher.patches:
            versions = tuple(v for v in patch.versions if v in publisher.structural.get(patch.kind, ()))
            lines.append(f"{publisher.name}: {replace(patch, versions=versions).describe()}")
        for kind, versions in publisher.schemaless.items():
            lines.append(f"{publisher.name}: {kind} {'/'.join(versions)}: no schema, any field accepted")
    return lines


# --- what the published CRDs declare, for validation ----------------------------------------


@dataclass(frozen=True)
class PublishedFields:
    """What at least one publisher's schema declares for a kind/version (None: nobody has a schema)."""

    fields: frozenset[str]
    required: Mapping[str, frozenset[str]]


@cache
def published_fields(kind: str, version: str) -> PublishedFields | None:
    schemas = []
    for publisher in FLAVOURS.values():
        if version in publisher.structural.get(kind, ()):
            schemas.append(_crd_schema(kind, version, publisher.name))
    if not schemas:
        return None
    fields: set[str] = set()
    required: dict[str, set[str]] = {}
    for schema in schemas:
        for path, node in _schema_nodes(schema, ""):
            if path:
                fields.add(path)
            if node.get("required"):
                required.setdefault(path, set()).update(node["required"])
    return PublishedFields(frozenset(fields), {path: frozenset(names) for path, names in required.items()})


def _schema_nodes(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, node
    for name, child in (node.get("properties") or {}).items():
        yield from _schema_nodes(child, f"{path}.{name}" if path else name)
    if isinstance(node.get("items"), dict):
        yield from _schema_nodes(node["items"], f"{path}[]")


# --- unknown fields, as a strict apiserver reports them -------------------------------------


def unknown_fields(schema: dict[str, Any], document: Any) -> list[str]:
    """Paths of the fields a strict apiserver refuses as unknown (`spec.backends[0].port`), sorted.

    Follows the apiserver's pruning: a key is unknown unless the schema node declares it
    in `properties`, accepts any key with `additionalProperties`, or preserves unknown
    fields. Under the root, `apiVersion`, `kind` and `metadata` are always known and
    `metadata` may hold only ObjectMeta fields.
    """
    found: list[str] = []
    if not isinstance(document, dict):
        return found
    metadata = document.get("metadata")
    if isinstance(metadata, dict):
        found.extend(f"metadata.{key}" for key in metadata if key not in OBJECT_META_FIELDS)
    rest = {key: value for key, value in document.items() if key not in _TYPE_META}
    _prune(rest, schema, "", found)
    return sorted(found)


def _prune(value: Any, schema: dict[str, Any] | None, path: str, found: list[str]) -> None:
    preserve = bool(schema and schema.get("x-kubernetes-preserve-unknown-fields"))
    if isinstance(value, dict):
        properties = (schema or {}).get("properties") or {}
        additional = (schema or {}).get("additionalProperties")
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else str(key)
            if key in properties:
                _prune(child, properties[key], child_path, found)
            elif isinstance(additional, dict):
                _prune(child, additional, child_path, found)
            elif additional is True or preserve:
                continue
            else:
                found.append(child_path)
    elif isinstance(value, list):
        items = (schema or {}).get("items")
        for index, child in enumerate(value):
            if preserve and items is None:
                continue
            _prune(child, items, f"{path}[{index}]", found)


# --- the project's own schema ---------------------------------------------------------------


def model_schema(kind: str, version: str) -> dict[str, Any]:
    """The JSON Schema (draft 7) of what the project accepts for a kind/version: the CRD rules
    plus names, non-negative integer weights, port ranges and non-empty lists. RE2 syntax,
    all-zero weights and duplicate names cannot be said in JSON Schema; `validate` checks them.
    """
    return copy.deepcopy(_model_schema(kind, version))


@cache
def _model_schema(kind: str, version: str) -> dict[str, Any]:
    info = kind_info(kind)
    published = published_fields(kind, version)
    root = _strict(shape(kind, version), "", published)
    root["properties"]["apiVersion"] = {"const": info.api_version(version)}
    root["properties"]["kind"] = {"const": kind}
    root["required"] = sorted({*root.get("required", ()), "apiVersion", "kind", "metadata"})
    return {"$schema": "http://json-schema.org/draft-07/schema#", "title": f"{kind} {version}", **root}


_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        **{name: {} for name in sorted(OBJECT_META_FIELDS)},
        "name": {"type": "string", "pattern": DNS1123_SUBDOMAIN_PATTERN, "maxLength": DNS1123_SUBDOMAIN_MAX},
        "namespace": {"type": "string", "pattern": DNS1123_LABEL_PATTERN, "maxLength": 63},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
    "additionalProperties": False,
}


def _strict(node: Node, path: str, published: PublishedFields | None) -> dict[str, Any]:
    out: dict[str, Any]
    if node.role == "metadata":
        return copy.deepcopy(_METADATA)
    if node.type == "object":
        properties = {
            name: _strict(child, f"{path}.{name}" if path else name, published)
            for name, child in node.properties.items()
            if published is None or (f"{path}.{name}" if path else name) in published.fields or name in _TYPE_META
        }
        required = set(node.required) | set(node.spec_required)
        if published is not None:
            required |= published.required.get(path, frozenset())
        out = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            out["required"] = sorted(required)
    elif node.type == "array":
        out = {"type": "array", "items": _strict(node.items, f"{path}[]", published)}
    elif node.type == "string":
        out = {"type": "string"}
        if node.enum:
            out["enum"] = list(node.enum)
    elif node.type == "integer":
        out = {"type": "integer"}
    elif node.type == "quantity":
        out = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": QUANTITY_PATTERN}]}
    else:  # string-map: one header filter
        out = {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": HEADER_NAME_PATTERN},
            "additionalProperties": {"type": "string"},
        }
    out.update(copy.deepcopy(dict(node.strict)))
    return out
