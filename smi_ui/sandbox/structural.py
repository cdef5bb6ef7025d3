"""Decoding-time treatment of custom resources against a structural schema.

Before validating, kube-apiserver drops every field the served version's schema does not
declare (pruning), remembering the paths so that `fieldValidation=Strict` can refuse them
and `Warn` can report them; it then drops `null`s on non-nullable fields and applies
defaults. Ported from apiextensions-apiserver `pkg/apiserver/schema/pruning` and
`.../schema/defaulting`; the paths and their order match its output.
"""

from __future__ import annotations

import copy
from typing import Any

Schema = dict[str, Any]

# ObjectMeta's JSON fields: anything else under `metadata` is unknown.
OBJECT_META_FIELDS = frozenset({
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
    "ownerReferences", "finalizers", "managedFields",
})
_ROOT_META = ("apiVersion", "kind", "metadata")


def _preserves_unknown(schema: Schema | None) -> bool:
    return bool(schema) and bool(schema.get("x-kubernetes-preserve-unknown-fields"))


def _additional(schema: Schema) -> Schema | None | bool:
    extra = schema.get("additionalProperties")
    if extra is True:
        return {"x-kubernetes-preserve-unknown-fields": True}
    if isinstance(extra, dict):
        return extra
    return None


def prune(obj: dict[str, Any], schema: Schema | None) -> list[str]:
    """Remove undeclared fields from a custom resource in place; return their sorted paths.

    The root is always an embedded resource: `apiVersion`, `kind` and `metadata` survive
    (metadata is then checked separately, see `prune_metadata`).
    """
    unknown: list[str] = []
    root = dict(schema or {})
    root["x-kubernetes-embedded-resource"] = True
    _prune(obj, root, [], unknown)
    unknown.sort()
    return unknown


def _path(parts: list[str]) -> str:
    return "".join(parts)


def _key(parts: list[str], key: str) -> list[str]:
    return [*parts, ".", key] if parts else [key]


def _prune(value: Any, schema: Schema | None, parts: list[str], unknown: list[str]) -> None:
    if schema is not None and _preserves_unknown(schema):
        _skip_prune(value, schema, parts, unknown)
        return
    if isinstance(value, dict):
        if schema is None:
            for key in list(value):
                unknown.append(_path(_key(parts, key)))
                del value[key]
            return
        properties = schema.get("properties") or {}
        extra = _additional(schema)
        embedded = schema.get("x-kubernetes-embedded-resource")
        for key in list(value):
            item = value[key]
            if embedded and (
                (key in ("apiVersion", "kind") and isinstance(item, str))
                or (key == "metadata" and isinstance(item, dict))
            ):
                if key == "metadata" and parts:
                    _prune_nested_metadata(item, _key(parts, key), unknown)
                continue
            if key in properties:
                _prune(item, properties[key], _key(parts, key), unknown)
            elif extra is not None:
                _prune(item, extra, _key(parts, key), unknown)
            else:
                if key not in _ROOT_META or parts:
                    unknown.append(_path(_key(parts, key)))
                del value[key]
    elif isinstance(value, list):
        items = schema.get("items") if schema is not None else None
        for index, item in enumerate(value):
            _prune(item, items if isinstance(items, dict) else None, [*parts, "[", str(index), "]"], unknown)


def _skip_prune(value: Any, schema: Schema, parts: list[str], unknown: list[str]) -> None:
    """Inside x-kubernetes-preserve-unknown-fields: keep unknown keys, still prune declared subtrees."""
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        extra = _additional(schema)
        for key, item in value.items():
            if key in properties:
                _prune(item, properties[key], _key(parts, key), unknown)
            elif isinstance(extra, dict) and not _preserves_unknown(extra):
                _prune(item, extra, _key(parts, key), unknown)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                _prune(item, items, [*parts, "[", str(index), "]"], unknown)


def _prune_nested_metadata(metadata: dict[str, Any], parts: list[str], unknown: list[str]) -> None:
    for key in list(metadata):
        if key not in OBJECT_META_FIELDS:
            unknown.append(_path(_key(parts, key)))
            del metadata[key]


def prune_metadata(obj: dict[str, Any]) -> list[str]:
    """Drop unknown ObjectMeta fields of the root object; return `metadata.x` paths (not sorted, as upstream)."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return []
    unknown = []
    for key in list(metadata):
        if key not in OBJECT_META_FIELDS:
            unknown.append(f"metadata.{key}")
            del metadata[key]
    return unknown


def prune_non_nullable_nulls(value: Any, schema: Schema | None) -> None:
    """Drop `key: null` where the field is neither nullable nor defaulted (it would fail validation)."""
    if schema is None:
        return
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key in list(value):
            if key in properties:
                sub = properties[key]
                if value[key] is None and not sub.get("nullable") and "default" not in sub:
                    del value[key]
                else:
                    prune_non_nullable_nulls(value[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in list(value):
                if key in properties:
                    continue
                if value[key] is None and not extra.get("nullable") and "default" not in extra:
                    del value[key]
                else:
                    prune_non_nullable_nulls(value[key], extra)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for item in value:
                prune_non_nullable_nulls(item, items)


def apply_defaults(value: Any, schema: Schema | None) -> None:
    """Fill absent (or null, when not nullable) properties that declare a `default`."""
    if schema is None:
        return
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, sub in properties.items():
            if "default" in sub and (key not in value or (value[key] is None and not sub.get("nullable"))):
                value[key] = copy.deepcopy(sub["default"])
        for key, item in value.items():
            if key in properties:
                apply_defaults(item, properties[key])
            elif isinstance(schema.get("additionalProperties"), dict):
                apply_defaults(item, schema["additionalProperties"])
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for item in value:
                apply_defaults(item, items)
