"""Validation of SMI manifests before they are written: every problem, with its path and a code.

Works on raw dicts, so a malformed document (wrong types, missing fields) yields errors, not
exceptions. Structural checks (types, required fields, enums, unknown fields) follow the
field descriptions in `shapes` and what the published CRD schemas declare, so whatever an
apiserver with those CRDs refuses is refused here too. On top come the rules of the SMI
spec and of the meshes that CRD schemas do not express; each of those codes is listed in
`STRICTER_THAN_CRD` with the reason the project is stricter.
"""

from __future__ import annotations

import math
from typing import Any

from .checking import re2_error as re2_error  # tests and callers import it from here
from .codec import resolve, serialize
from .codec_parts import is_finite_number
from .errors import FieldError, InvalidManifest, NotExpressible, UnsupportedAPIVersion, type_name
from .model import SMIObject
from .names import is_dns1123_label, is_dns1123_subdomain
from .quantity import InvalidQuantity, quantity_value
from .schema import OBJECT_META_FIELDS, PublishedFields, published_fields
from .shapes import Node, shape

# Codes a CRD schema (checked by a strict apiserver) also produces: any of these means the
# apiserver would refuse the document as well.
CRD_CODES = {
    "required": "a field the CRD schema requires is missing",
    "type": "a value has the wrong JSON type",
    "enum": "a value is not one the CRD schema allows",
    "unknown-field": "a field no published CRD schema declares (strict decoding refuses it with 400)",
    "header-shape": "headers written as a map where every CRD schema wants a list of maps",
    "unsupported-version": "not a supported SMI kind/version",
}

# Every rule where the project refuses what the official CRD schemas accept, and why.
STRICTER_THAN_CRD: dict[str, str] = {
    "invalid-name": "metadata.name must be a DNS-1123 subdomain; the apiserver checks this outside the CRD "
    "schema, so it is refused all the same, but the schema alone does not say it",
    "invalid-namespace": "namespaces (metadata and references) must be DNS-1123 labels; templates such as "
    "<NAMESPACE> pass the schema and fail at the apiserver or silently match nothing",
    "invalid-reference": "referenced Service/ServiceAccount names must be DNS-1123 labels and route names "
    "DNS-1123 subdomains; the CRDs accept any string, and a mesh then matches nothing",
    "invalid-quantity": "v1alpha1 weights are int-or-string in the CRD; a string that is not a quantity "
    "(`heavy`) is stored and then breaks every controller that parses it",
    "not-integer": "weights (v1alpha2+) and TrafficTarget ports are typed `number` in the CRDs but decoded "
    "into Go ints by the meshes: 12.5 is accepted by the apiserver and breaks the controller",
    "weight-negative": "the CRDs put no minimum on weights; a negative weight has no meaning",
    "weights-all-zero": "a split whose weights are all zero sends traffic nowhere (undefined in the spec)",
    "empty": "lists the spec needs non-empty (backends, HTTP match entries, v1alpha3 rules and sources) "
    "and identifiers that must not be empty; the CRDs accept [] and ''",
    "duplicate": "duplicate backends, match-entry names or ports: ambiguous weights and references",
    "regex-not-re2": "pathRegex and header values are RE2 (Envoy, Go): look-arounds and back-references "
    "are accepted by the CRD and rejected by the data plane",
    "invalid-header-name": "header names must be HTTP tokens; the CRD accepts any map key",
    "port-out-of-range": "ports must be 1-65535; the CRDs only ask for a number",
    "unsupported-identity-kind": "destination/source kind must be ServiceAccount, the only identity kind "
    "any mesh implements; the CRDs accept any string",
    "namespace-mismatch": "a TrafficTarget must live in its destination's namespace (OSM's webhook refuses "
    "anything else); the CRD cannot compare two fields",
    "required-by-spec": "`spec` itself, which the SMI kinds need although no CRD schema requires it (an object "
    "without spec is accepted by the apiserver and ignored by every mesh)",
    "not-in-version": "fields a publisher's CRD declares for a version that does not have them (headers "
    "in HTTPRouteGroup v1alpha1), or any field of a version no publisher gives a schema "
    "(TCPRoute v1alpha1-3 must have an empty spec)",
    "not-expressible": "the object holds something the target version cannot hold",
    "int64-range": "integers (weights, ports) must fit the 64-bit ints the apiserver and the meshes decode them "
    "into; a larger one is stored as a float (2^63 turns shares into 100 % / 0 %)",
}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1



def validate_manifest(manifest: Any) -> list[FieldError]:
    """Every problem of a raw manifest, each with a Kubernetes-style path and a code."""
    try:
        info, version = resolve(manifest)
    except InvalidManifest as error:
        errors = list(error.errors)
        if isinstance(manifest, dict):
            errors.extend(_metadata_errors(manifest))
        return errors
    except UnsupportedAPIVersion as error:
        path = "kind" if "defines no kind" in error.reason else "apiVersion"
        return [FieldError(path, "unsupported-version", str(error))]
    walker = _Walker(info.kind, version, published_fields(info.kind, version))
    walker.walk(manifest, shape(info.kind, version), "", ())
    errors = walker.errors
    errors.extend(_metadata_errors(manifest))
    errors.extend(info.checks(manifest, version))
    return errors


def validate_object(obj: SMIObject, version: str | None = None) -> list[FieldError]:
    """Validate a model object as it would be written in `version` (default: its own version)."""
    try:
        manifest = serialize(obj, version)
    except NotExpressible as error:
        return [FieldError(error.field, "not-expressible", str(error))]
    return validate_manifest(manifest)


# --- structure ------------------------------------------------------------------------------


class _Walker:
    """Type-checks a raw document against a shape, knowing what the published CRDs declare."""

    def __init__(self, kind: str, version: str, published: PublishedFields | None) -> None:
        self.kind = kind
        self.version = version
        self.published = published
        self.errors: list[FieldError] = []

    def add(self, path: str, code: str, message: str) -> None:
        self.errors.append(FieldError(path, code, message))

    def walk(self, value: Any, node: Node, path: str, pattern: tuple[str, ...]) -> None:
        if value is None:
            self.add(path, "type", f"must be of type {_expected(node)}, not null")
        elif node.type == "object":
            self._object(value, node, path, pattern)
        elif node.type == "array":
            self._array(value, node, path, pattern)
        elif node.type == "string":
            if not isinstance(value, str):
                self.add(path, "type", f"must be of type string, not {type_name(value)}")
            elif node.enum and value not in node.enum:
                self.add(path, "enum", f"{value!r} is not one of {', '.join(node.enum)}")
        elif node.type == "integer":
            if isinstance(value, bool) or not is_finite_number(value):
                self.add(path, "type", f"must be of type integer, not {type_name(value)}")
            elif isinstance(value, float) and not value.is_integer():
                self.add(path, "not-integer", f"must be a whole number, not {value}")
            elif not INT64_MIN <= value <= INT64_MAX:
                self.add(path, "int64-range", f"must be between {INT64_MIN} and {INT64_MAX}")
        elif node.type == "quantity":
            self._quantity(value, path)
        else:
            self._string_map(value, path)

    def _object(self, value: Any, node: Node, path: str, pattern: tuple[str, ...]) -> None:
        if not isinstance(value, dict):
            self.add(path, "type", f"must be of type object, not {type_name(value)}")
            return
        key = _dotted(pattern)
        required = set(node.required)
        if self.published is not None:
            required |= self.published.required.get(key, frozenset())
        for name in sorted(required):
            if name not in value:
                self.add(_join(path, name), "required", "Required value")
        for name in node.spec_required:
            if name not in value and name not in required:
                self.add(_join(path, name), "required-by-spec", "Required value (by the SMI spec)")
        for name, child_value in value.items():
            child_path = _join(path, str(name))
            if not pattern and name in ("apiVersion", "kind", "metadata"):
                continue  # checked by resolve() and _metadata_errors()
            child = node.child(name) if isinstance(name, str) else None
            child_pattern = (*pattern, str(name))
            declared = self.published is None or _dotted(child_pattern) in self.published.fields
            if child is not None and declared:
                self.walk(child_value, child, child_path, child_pattern)
            elif child is None and self.published is None:
                self.add(child_path, "not-in-version", f"{self.kind} {self.version} has no field {name!r}")
            elif child is None and declared:
                self.add(
                    child_path,
                    "not-in-version",
                    f"{self.kind} {self.version} has no field {name!r}, although a published CRD declares it",
                )
            else:
                self.add(child_path, "unknown-field", f"unknown field {name!r}")

    def _array(self, value: Any, node: Node, path: str, pattern: tuple[str, ...]) -> None:
        if not isinstance(value, list):
            if node.role == "headers" and isinstance(value, dict):
                self.add(
                    path, "header-shape", "headers must be a list of {name: regex} maps in every CRD schema, not a map"
                )
                return
            self.add(path, "type", f"must be of type array, not {type_name(value)}")
            return
        for index, item in enumerate(value):
            self.walk(item, node.items, f"{path}[{index}]", (*pattern, "[]"))

    def _quantity(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.add(path, "type", f"must be of type integer or string, not {type_name(value)}")
        elif isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            self.add(path, "type", f"must be of type integer or string, not a fraction ({value})")
        elif isinstance(value, str):
            try:
                quantity_value(value)
            except InvalidQuantity as error:
                self.add(path, "invalid-quantity", error.reason)

    def _string_map(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.add(path, "type", f"must be of type object, not {type_name(value)}")
            return
        for key, item in value.items():
            if not isinstance(item, str):
                self.add(f"{path}[{key}]", "type", f"must be of type string, not {type_name(item)}")


def _metadata_errors(manifest: dict[str, Any]) -> list[FieldError]:
    metadata = manifest.get("metadata")
    if metadata is None:
        return [FieldError("metadata.name", "invalid-name", "metadata.name is required")]
    if not isinstance(metadata, dict):
        return [FieldError("metadata", "type", f"must be of type object, not {type_name(metadata)}")]
    errors = []
    name = metadata.get("name")
    if name is None:
        errors.append(FieldError("metadata.name", "invalid-name", "metadata.name is required"))
    elif not isinstance(name, str):
        errors.append(FieldError("metadata.name", "type", f"must be of type string, not {type_name(name)}"))
    elif not is_dns1123_subdomain(name):
        errors.append(FieldError("metadata.name", "invalid-name", f"{name!r} is not a DNS-1123 subdomain"))
    namespace = metadata.get("namespace")
    if namespace is not None and not is_dns1123_label(namespace):
        errors.append(FieldError("metadata.namespace", "invalid-namespace", f"{namespace!r} is not a DNS-1123 label"))
    for key in ("labels", "annotations"):
        value = metadata.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            errors.append(FieldError(f"metadata.{key}", "type", f"must be of type object, not {type_name(value)}"))
            continue
        for item_key, item in value.items():
            if not isinstance(item, str):
                errors.append(FieldError(f"metadata.{key}[{item_key}]", "type", "must be of type string"))
    for key in metadata:
        if key not in OBJECT_META_FIELDS:
            errors.append(FieldError(f"metadata.{key}", "unknown-field", f"unknown field {key!r}"))
    return errors


# --- semantics ------------------------------------------------------------------------------


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _dotted(pattern: tuple[str, ...]) -> str:
    text = ""
    for segment in pattern:
        text += segment if segment == "[]" else (f".{segment}" if text else segment)
    return text


def _expected(node: Node) -> str:
    return {"quantity": "integer or string", "string-map": "object"}.get(node.type, node.type)
