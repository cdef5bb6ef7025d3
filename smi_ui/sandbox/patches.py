"""The three client-side patch formats: JSON merge patch, JSON patch and strategic merge patch.

Server-side apply lives in `apply.py`. Strategic merge follows the built-in kinds'
patch strategies for the lists kubectl changes (containers, ports, env, volumes ...) and
honours the directives `kubectl apply` sends (`$patch`, `$setElementOrder/...`,
`$retainKeys`, `$deleteFromPrimitiveList/...`); custom resources accept it only as the
real server does: not at all (415).
"""

from __future__ import annotations

import copy
from typing import Any

from .status import ApiError, bad_request, unprocessable

JSON = Any


def merge_patch(target: JSON, patch: JSON) -> JSON:
    """RFC 7386: objects merge recursively, `null` deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f'json patch path "{path}" must start with "/"')
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _walk(doc: JSON, parts: list[str], path: str) -> JSON:
    node = doc
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise unprocessable(f'doc is missing path: "{path}": missing value')
    return node


def _parent(doc: JSON, path: str, op: str) -> tuple[JSON, str]:
    parts = _pointer(path)
    if not parts:
        raise unprocessable(f"jsonpatch {op} operation does not apply: doc is missing path: \"{path}\"")
    parent = _walk(doc, parts[:-1], path)
    return parent, parts[-1]


def _get(doc: JSON, path: str) -> JSON:
    return _walk(doc, _pointer(path), path)


def _add(doc: JSON, path: str, value: JSON) -> JSON:
    if path == "":
        return copy.deepcopy(value)
    parent, key = _parent(doc, path, "add")
    if isinstance(parent, dict):
        parent[key] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if key == "-":
            parent.append(copy.deepcopy(value))
        elif key.isdigit() and int(key) <= len(parent):
            parent.insert(int(key), copy.deepcopy(value))
        else:
            raise unprocessable(f"add operation does not apply: doc is missing path: \"{path}\": missing value")
    else:
        raise unprocessable(f"add operation does not apply: doc is missing path: \"{path}\": missing value")
    return doc


def _remove(doc: JSON, path: str) -> JSON:
    parent, key = _parent(doc, path, "remove")
    if isinstance(parent, dict) and key in parent:
        del parent[key]
    elif isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
        del parent[int(key)]
    else:
        raise unprocessable(f"remove operation does not apply: doc is missing path: \"{path}\": missing value")
    return doc


def _replace(doc: JSON, path: str, value: JSON) -> JSON:
    if path == "":
        return copy.deepcopy(value)
    parent, key = _parent(doc, path, "replace")
    if isinstance(parent, dict) and key in parent:
        parent[key] = copy.deepcopy(value)
    elif isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
        parent[int(key)] = copy.deepcopy(value)
    else:
        raise unprocessable(f"replace operation does not apply: doc is missing key: {path}: missing value")
    return doc


def json_patch(target: JSON, operations: JSON) -> JSON:
    """RFC 6902 add/remove/replace/move/copy/test; failures are 422 like the real server's."""
    if not isinstance(operations, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for operation in operations:
        if not isinstance(operation, dict):
            raise bad_request("json: cannot unmarshal into Go value of type jsonpatch.Operation")
        op = operation.get("op")
        path = operation.get("path", "")
        if op == "add":
            doc = _add(doc, path, operation.get("value"))
        elif op == "remove":
            doc = _remove(doc, path)
        elif op == "replace":
            doc = _replace(doc, path, operation.get("value"))
        elif op == "move":
            value = _get(doc, operation.get("from", ""))
            doc = _remove(doc, operation.get("from", ""))
            doc = _add(doc, path, value)
        elif op == "copy":
            doc = _add(doc, path, _get(doc, operation.get("from", "")))
        elif op == "test":
            try:
                actual = _get(doc, path)
            except ApiError:
                actual = None
            if actual != operation.get("value"):
                raise unprocessable(f"testing value {path} failed: test failed")
        else:
            raise unprocessable(f"Unexpected kind: {op}")
    return doc


# Strategic merge: list merge keys of the built-in kinds, by the list's field name.
# (Path-insensitive is enough here: the names are unambiguous within these kinds.)
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "tolerations": ("key",),
    "hostAliases": ("ip",),
    "secrets": ("name",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "topologySpreadConstraints": ("topologyKey",),
    "resourceClaims": ("name",),
}
PORT_LISTS = {"ports"}  # containers: containerPort; services: port (both also keyed by protocol)
MERGED_PRIMITIVE_LISTS = {"finalizers"}
ORDER_PREFIX = "$setElementOrder/"
DELETE_PRIMITIVE_PREFIX = "$deleteFromPrimitiveList/"
RETAIN_KEYS = "$retainKeys"


def _merge_key(name: str, items: list[Any]) -> str | None:
    if name in MERGE_KEYS:
        return MERGE_KEYS[name][0]
    if name in PORT_LISTS:
        sample = next((i for i in items if isinstance(i, dict)), {})
        return "containerPort" if "containerPort" in sample else "port"
    return None


def strategic_merge_patch(target: JSON, patch: JSON) -> JSON:
    """Apply a strategic merge patch to a built-in kind's object."""
    if not isinstance(patch, dict):
        raise bad_request("strategic merge patch must be a JSON object")
    return _smp_map(copy.deepcopy(target) if isinstance(target, dict) else {}, patch)


def _smp_map(original: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return {}
    retain = patch.get(RETAIN_KEYS)
    result = original
    for key, value in patch.items():
        if key in ("$patch", RETAIN_KEYS) or key.startswith(ORDER_PREFIX):
            continue
        if key.startswith(DELETE_PRIMITIVE_PREFIX):
            field = key[len(DELETE_PRIMITIVE_PREFIX):]
            if isinstance(result.get(field), list):
                result[field] = [item for item in result[field] if item not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            current = result.get(key)
            result[key] = _smp_map(current if isinstance(current, dict) else {}, value)
            if result[key] == {} and value.get("$patch") == "delete":
                result.pop(key)
        elif isinstance(value, list):
            result[key] = _smp_list(key, result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    for key, value in patch.items():
        if key.startswith(ORDER_PREFIX):
            field = key[len(ORDER_PREFIX):]
            if isinstance(result.get(field), list):
                result[field] = _reorder(field, result[field], value)
    if isinstance(retain, list):
        for key in list(result):
            if key not in retain:
                del result[key]
    return result


def _smp_list(name: str, original: Any, patch: list[Any]) -> list[Any]:
    original_items = original if isinstance(original, list) else []
    if name in MERGED_PRIMITIVE_LISTS:
        merged = list(original_items)
        merged.extend(item for item in patch if item not in merged)
        return merged
    key = _merge_key(name, original_items + patch)
    if key is None or not all(isinstance(item, dict) for item in patch):
        if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
            return [i for i in patch if not (isinstance(i, dict) and "$patch" in i)]
        return copy.deepcopy(patch)
    if any(item.get("$patch") == "replace" for item in patch):
        return [copy.deepcopy(i) for i in patch if "$patch" not in i]
    result = [copy.deepcopy(i) for i in original_items]
    for item in patch:
        identity = _identity(item, key)
        index = next((n for n, cur in enumerate(result) if isinstance(cur, dict) and _identity(cur, key) == identity),
                     None)
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        if index is None:
            result.append(_smp_map({}, item))
        else:
            result[index] = _smp_map(result[index], item)
    return result


def _identity(item: dict[str, Any], key: str) -> tuple[Any, ...]:
    if key in ("port", "containerPort"):
        return (item.get(key), item.get("protocol", "TCP"))
    return (item.get(key),)


def _reorder(name: str, items: list[Any], order: list[Any]) -> list[Any]:
    """`$setElementOrder/<list>`: put the listed elements first, in that order."""
    if not order:
        return items
    if all(not isinstance(o, dict) for o in order):
        ordered = [i for o in order for i in items if i == o]
        return ordered + [i for i in items if i not in ordered]
    key = _merge_key(name, items)
    if key is None:
        return items
    ordered = []
    for entry in order:
        for item in items:
            if isinstance(item, dict) and item.get(key) == entry.get(key) and item not in ordered:
                ordered.append(item)
    return ordered + [i for i in items if i not in ordered]
