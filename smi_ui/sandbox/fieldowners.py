"""Field ownership (`metadata.managedFields`) and server-side apply.

A simplified port of structured-merge-diff as kube-apiserver uses it: every write
records which manager set which fields (`FieldsV1`), an Update takes ownership of the
fields it changed, an Apply owns exactly the fields of its configuration, removes the
fields it stopped applying (unless someone else owns them) and fails with a 409
conflict when it would change a field another manager owns, unless forced.
Lists of custom resources are atomic (no list-type markers in SMI schemas); built-in
kinds use their merge keys (containers by name, ports by port+protocol, ...).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from .patches import MERGE_KEYS, PORT_LISTS
from .status import ApiError

Path = tuple[str, ...]  # FieldsV1 path elements: "f:spec", 'k:{"name":"a"}', 'v:"x"'

# Fields the server owns; they never appear in managedFields (upstream's stripMeta manager).
STRIPPED: frozenset[Path] = frozenset({
    ("f:apiVersion",), ("f:kind",), ("f:metadata",),
    *(("f:metadata", f"f:{name}") for name in (
        "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation",
        "managedFields", "resourceVersion",
    )),
})
SET_LISTS = {"finalizers"}


def _list_keys(name: str, items: list[Any], custom: bool, in_metadata: bool) -> tuple[str, ...] | None:
    """Key fields of an associative list, None for atomic lists, () for sets of scalars."""
    if in_metadata and name == "finalizers":
        return ()
    if in_metadata and name == "ownerReferences":
        return ("uid",)
    if custom:
        return None
    if name in SET_LISTS:
        return ()
    if name in MERGE_KEYS:
        return MERGE_KEYS[name]
    if name in PORT_LISTS:
        sample = next((i for i in items if isinstance(i, dict)), {})
        return ("containerPort", "protocol") if "containerPort" in sample else ("port", "protocol")
    return None


def _key_element(item: dict[str, Any], keys: tuple[str, ...]) -> str:
    values = {k: item.get(k, "TCP" if k == "protocol" else None) for k in keys}
    return "k:" + json.dumps(values, separators=(",", ":"))


def _value_element(item: Any) -> str:
    return "v:" + json.dumps(item, separators=(",", ":"))


@dataclass
class Nodes:
    """Every addressable node of an object: path -> (value, is_leaf)."""

    values: dict[Path, Any]
    leaves: set[Path]


def nodes_of(obj: dict[str, Any], custom: bool) -> Nodes:
    nodes = Nodes({}, set())
    _collect(obj, (), custom, nodes, in_metadata=False)
    return nodes


def _collect(value: Any, path: Path, custom: bool, nodes: Nodes, in_metadata: bool) -> None:
    if isinstance(value, dict):
        if path:
            nodes.values[path] = value
            if not value:
                nodes.leaves.add(path)
        for key, item in value.items():
            _collect(item, (*path, f"f:{key}"), custom, nodes, in_metadata or path == () and key == "metadata")
        return
    if isinstance(value, list) and path:
        name = path[-1][2:]
        keys = _list_keys(name, value, custom, in_metadata)
        nodes.values[path] = value
        if keys is None or (keys and not all(isinstance(i, dict) for i in value)):
            nodes.leaves.add(path)
            return
        if not value:
            nodes.leaves.add(path)
        for item in value:
            if keys == ():
                element = (*path, _value_element(item))
                nodes.values[element] = item
                nodes.leaves.add(element)
            else:
                element = (*path, _key_element(item, keys))
                nodes.values[element] = item
                nodes.leaves.add(element)  # list elements are members of the set themselves
                for key, sub in item.items():
                    _collect(sub, (*element, f"f:{key}"), custom, nodes, in_metadata)
        return
    if path:
        nodes.values[path] = value
        nodes.leaves.add(path)


def _visible(paths: set[Path], ignored_prefixes: tuple[Path, ...]) -> set[Path]:
    return {p for p in paths if p not in STRIPPED and not any(p[:len(i)] == i for i in ignored_prefixes)}


@dataclass
class Comparison:
    added: set[Path]
    modified: set[Path]
    removed: set[Path]


def compare(old: dict[str, Any], new: dict[str, Any], custom: bool) -> Comparison:
    before, after = nodes_of(old, custom), nodes_of(new, custom)
    added = set(after.values) - set(before.values)
    removed = set(before.values) - set(after.values)
    modified = {p for p in set(before.values) & set(after.values)
                if p in after.leaves and not _list_element(p) and before.values[p] != after.values[p]}
    modified |= {p for p in set(before.values) & set(after.values)
                 if (p in after.leaves) != (p in before.leaves) and not _list_element(p)}
    return Comparison(added, modified, removed)


def _list_element(path: Path) -> bool:
    return path[-1].startswith(("k:", "v:"))


def apply_set(config: dict[str, Any], custom: bool) -> set[Path]:
    """What an Apply configuration claims: its leaves and list elements, never bare maps."""
    return nodes_of(config, custom).leaves


# ---- managedFields encoding ----------------------------------------------------------------

def encode_fields(paths: set[Path]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    def mark(node: dict[str, Any], path: Path) -> None:
        for element, child in node.items():
            if element == ".":
                continue
            child_path = (*path, element)
            if child and child_path in paths:
                child["."] = {}
            mark(child, child_path)
    mark(tree, ())
    return _sorted_tree(tree)


def _sorted_tree(node: dict[str, Any]) -> dict[str, Any]:
    return {k: _sorted_tree(node[k]) for k in sorted(node, key=lambda k: (k != ".", k))}


def decode_fields(fields: dict[str, Any]) -> set[Path]:
    paths: set[Path] = set()

    def walk(node: dict[str, Any], path: Path) -> None:
        for element, child in node.items():
            if element == ".":
                paths.add(path)
                continue
            child_path = (*path, element)
            if not child:
                paths.add(child_path)
            else:
                walk(child, child_path)
    walk(fields or {}, ())
    return paths


def path_text(path: Path) -> str:
    """`.spec.ports[port=80,protocol="TCP"]`: how conflicts name a field."""
    text = ""
    for element in path:
        kind, _, rest = element.partition(":")
        if kind == "f":
            text += f".{rest}"
        elif kind == "k":
            keys = json.loads(rest)
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in keys.items()) + "]"
        elif kind == "v":
            text += f"[={rest}]"
        else:
            text += f"[{rest}]"
    return text


@dataclass
class Manager:
    name: str
    operation: str  # Apply | Update
    api_version: str
    time: str
    fields: set[Path]
    subresource: str = ""

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.name, self.operation, self.api_version, self.subresource)

    def describe(self) -> str:
        text = json.dumps(self.name)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text

    def entry(self) -> dict[str, Any]:
        entry = {
            "manager": self.name,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": encode_fields(self.fields),
        }
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry


def read_managers(obj: dict[str, Any]) -> list[Manager]:
    managers = []
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        managers.append(Manager(entry.get("manager", ""), entry.get("operation", "Update"),
                                entry.get("apiVersion", ""), entry.get("time", ""),
                                decode_fields(entry.get("fieldsV1") or {}), entry.get("subresource", "")))
    return managers


def write_managers(obj: dict[str, Any], managers: list[Manager]) -> None:
    kept = [m for m in managers if m.fields]
    kept.sort(key=lambda m: (m.operation != "Apply", m.time, m.name))
    if kept:
        obj.setdefault("metadata", {})["managedFields"] = [m.entry() for m in kept]
    else:
        obj.get("metadata", {}).pop("managedFields", None)


def _find(managers: list[Manager], identity: tuple[str, str, str, str]) -> Manager | None:
    return next((m for m in managers if m.identity == identity), None)


@dataclass
class Write:
    """Who is writing: the manager name, the apiVersion written, which part of the object."""

    manager: str
    api_version: str
    now: str
    custom: bool
    subresource: str = ""
    ignored: tuple[Path, ...] = ()  # e.g. status on the main resource, everything but status on /status


def record_update(old: dict[str, Any] | None, new: dict[str, Any], managers: list[Manager], write: Write) -> None:
    """An Update operation (create, replace, patch): the writer takes the fields it changed."""
    comparison = compare(old or {}, new, write.custom)
    changed = _visible(comparison.added | comparison.modified, write.ignored)
    removed = comparison.removed
    identity = (write.manager, "Update", write.api_version, write.subresource)
    for manager in managers:
        if manager.identity != identity:
            manager.fields -= changed
        manager.fields -= removed
    own = _find(managers, identity)
    if changed:
        if own is None:
            own = Manager(write.manager, "Update", write.api_version, write.now, set(), write.subresource)
            managers.append(own)
        own.fields |= changed
        own.time = write.now
    write_managers(new, managers)


class ApplyConflict(ApiError):
    """409 Conflict naming each field another manager owns (upstream's `NewApplyConflict`)."""

    def __init__(self, conflicts: list[tuple[Manager, Path]]):
        causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {m.describe()}",
                   "field": path_text(p)} for m, p in conflicts]
        if len(conflicts) == 1:
            manager, path = conflicts[0]
            message = f"Apply failed with 1 conflict: conflict with {manager.describe()}: {path_text(path)}"
        else:
            by_manager: dict[str, list[str]] = {}
            for manager, path in conflicts:
                by_manager.setdefault(manager.describe(), []).append(path_text(path))
            lines = []
            for described in sorted(by_manager):
                lines.append(f"conflicts with {described}:")
                lines.extend(f"- {p}" for p in by_manager[described])
            message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
        super().__init__(409, "Conflict", message, {"causes": causes})


def merge(live: Any, config: Any, path_name: str, custom: bool, in_metadata: bool = False) -> Any:
    """Deep-merge an apply configuration into the live object (maps merge, atomic lists replace)."""
    if isinstance(config, dict) and isinstance(live, dict):
        result = copy.deepcopy(live)
        for key, value in config.items():
            result[key] = merge(live.get(key), value, key, custom, in_metadata or key == "metadata")
        return result
    if isinstance(config, list) and isinstance(live, list):
        keys = _list_keys(path_name, config + live, custom, in_metadata)
        if keys is None:
            return copy.deepcopy(config)
        if keys == ():
            return copy.deepcopy(live) + [copy.deepcopy(i) for i in config if i not in live]
        if not all(isinstance(i, dict) for i in config + live):
            return copy.deepcopy(config)
        result = []
        live_by_key = {_key_element(i, keys): i for i in live}
        config_keys = {_key_element(i, keys) for i in config}
        for item in config:
            existing = live_by_key.get(_key_element(item, keys))
            result.append(merge(existing, item, "", custom, in_metadata) if existing is not None
                          else copy.deepcopy(item))
        result.extend(copy.deepcopy(i) for i in live if _key_element(i, keys) not in config_keys)
        return result
    return copy.deepcopy(config)


def _remove_path(obj: Any, path: Path) -> None:
    node = obj
    for element in path[:-1]:
        node = _child(node, element)
        if node is None:
            return
    last = path[-1]
    if isinstance(node, dict) and last.startswith("f:"):
        node.pop(last[2:], None)
    elif isinstance(node, list):
        node[:] = [item for item in node if not _is_element(item, last)]


def _child(node: Any, element: str) -> Any:
    if isinstance(node, dict) and element.startswith("f:"):
        return node.get(element[2:])
    if isinstance(node, list):
        return next((item for item in node if _is_element(item, element)), None)
    return None


def _is_element(item: Any, element: str) -> bool:
    if element.startswith("v:"):
        return element == _value_element(item)
    if element.startswith("k:") and isinstance(item, dict):
        keys = tuple(json.loads(element[2:]))
        return _key_element(item, keys) == element
    return False


def server_side_apply(live: dict[str, Any] | None, config: dict[str, Any], managers: list[Manager], write: Write,
                      force: bool) -> dict[str, Any]:
    """Merge `config` into `live` for manager `write.manager`, owning exactly the configured fields."""
    base = live or {}
    merged = merge(base, config, "", write.custom)
    identity = (write.manager, "Apply", write.api_version, write.subresource)
    previous = next((m for m in managers if m.name == write.manager and m.operation == "Apply"
                     and m.subresource == write.subresource), None)
    claimed = _visible(apply_set(config, write.custom), write.ignored)
    if previous is not None:
        others = [m for m in managers if m is not previous]
        for path in sorted(previous.fields - claimed, key=len, reverse=True):
            still_claimed = any(p[:len(path)] == path for p in claimed)
            owned_elsewhere = any(any(p[:len(path)] == path for p in m.fields) for m in others)
            if not still_claimed and not owned_elsewhere:
                _remove_path(merged, path)
    comparison = compare(base, merged, write.custom)
    changed = _visible(comparison.added | comparison.modified, write.ignored)
    conflicts = []
    for manager in managers:
        if manager is previous or manager.identity == identity:
            continue
        for path in sorted(manager.fields & changed):
            conflicts.append((manager, path))
    if conflicts and not force:
        conflicts = _left_after_client_side_apply_takeover(conflicts, base, write)
        if conflicts:
            raise ApplyConflict(conflicts)
    for manager in managers:
        if manager is not previous:
            manager.fields -= changed
        manager.fields -= comparison.removed
    if previous is not None:
        managers.remove(previous)
    managers.append(Manager(write.manager, "Apply", write.api_version, write.now, claimed, write.subresource))
    write_managers(merged, managers)
    annotations = (merged.get("metadata") or {}).get("annotations") or {}
    if write.manager == UPGRADING_MANAGER and annotations.get(LAST_APPLIED):
        annotations[LAST_APPLIED] = last_applied(config)
    return merged


# ---- upgrading from client-side apply (upstream's lastAppliedManager and lastAppliedUpdater) ----

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
UPGRADING_MANAGER = "kubectl"  # only `kubectl apply --server-side` upgrades; another manager opts out


def _left_after_client_side_apply_takeover(conflicts: list[tuple[Manager, Path]], live: dict[str, Any],
                                           write: Write) -> list[tuple[Manager, Path]]:
    """The conflicts `kubectl` may not resolve by taking the fields a client-side apply set.

    Taken are fields of the live object's last-applied configuration that still have the
    value it gives - so `kubectl apply --server-side` after `kubectl apply` does not conflict
    with the `kubectl-client-side-apply` manager (whose fields kubectl then moves to its own
    Apply entry with a JSON patch of managedFields). With any other conflict left, the apply
    fails naming only those, and takes nothing.
    """
    if write.manager != UPGRADING_MANAGER:
        return conflicts
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        applied = json.loads(text) if text else None
    except ValueError:
        return conflicts
    if not isinstance(applied, dict):
        return conflicts
    before, now = nodes_of(applied, write.custom), nodes_of(live, write.custom)
    allowed = {p for p in before.leaves if p in now.values
               and (p not in now.leaves or now.values[p] == before.values[p])}
    return [(manager, path) for manager, path in conflicts if path not in allowed]


def last_applied(config: dict[str, Any]) -> str:
    """The annotation's new value: the applied configuration as Go's encoding/json writes it."""
    clean = copy.deepcopy(config)
    annotations = (clean.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
    text = json.dumps(clean, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                          ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text + "\n"
