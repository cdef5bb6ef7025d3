"""Reading any supported SMI manifest into the model and writing it back into any version.

Writing is an overlay: the document that was read is deep-copied and only the modelled
fields are written onto it, so labels, annotations, ownerReferences, status and fields
nobody models survive at every nesting level, and `serialize(parse(m)) == m` exactly.
A modelled value that did not change keeps its original spelling (`500m` stays `500m`,
a map of headers stays a map). Converting to another version moves the modelled
containers to where that version keeps them (see `shapes`), and refuses with
`NotExpressible` anything the target version cannot say.
"""

from __future__ import annotations

import copy
from typing import Any

from .codec_parts import DELETE, MISSING, SKIP, Opaque, Reader, Resolve
from .errors import FieldError, InvalidManifest, NotAnSMIObject, UnsupportedAPIVersion, type_name
from .kinds import REGISTRY
from .kindspec import KindSpec, split_api_version
from .model import HeaderShape, SMIObject
from .shapes import Node, locate, shape

# --- identifying a manifest -----------------------------------------------------------------


def is_smi(manifest: object) -> bool:
    """Whether a manifest claims to be one of the registered kinds (a registered group, or a kind without a group)."""
    if not isinstance(manifest, dict):
        return False
    api_version, kind = manifest.get("apiVersion"), manifest.get("kind")
    group = split_api_version(api_version)[0] if isinstance(api_version, str) else ""
    if group in REGISTRY.groups() or REGISTRY.refused_group(group) is not None:
        return True
    return not group and isinstance(kind, str) and kind in REGISTRY


def resolve(manifest: object) -> tuple[KindSpec, str]:
    """The kind and version of a manifest the model supports.

    Raises InvalidManifest when apiVersion or kind is missing or not a string,
    NotAnSMIObject for a group no registered kind lives in, and UnsupportedAPIVersion
    (with group, version, kind and the reason) for everything else that is not a
    registered kind/version.
    """
    if not isinstance(manifest, dict):
        raise InvalidManifest([FieldError("", "type", f"a manifest is an object, not {type_name(manifest)}")])
    errors = []
    api_version, kind = manifest.get("apiVersion"), manifest.get("kind")
    for key, value in (("apiVersion", api_version), ("kind", kind)):
        if value is None:
            errors.append(FieldError(key, "required", f"{key} is required"))
        elif not isinstance(value, str):
            errors.append(FieldError(key, "type", f"{key} must be a string, not {type_name(value)}"))
    if errors:
        raise InvalidManifest(errors)
    group, version = split_api_version(api_version)
    if (refusal := REGISTRY.refused_group(group)) is not None:
        raise UnsupportedAPIVersion(group, version, kind, refusal)
    if group not in REGISTRY.groups():
        if not group and kind in REGISTRY:
            raise UnsupportedAPIVersion(group, version, kind, f"apiVersion {api_version!r} has no API group")
        raise NotAnSMIObject(group, version, kind, "not an SMI API group")
    spec = REGISTRY.get(kind)
    if spec is None or spec.group != group:
        defined = ", ".join(k.kind for k in REGISTRY.in_group(group))
        raise UnsupportedAPIVersion(group, version, kind, f"{group} defines no kind {kind!r} (it defines {defined})")
    if version not in spec.versions:
        reason = spec.unsupported_versions.get(
            version, f"{kind} has no version {version!r} (known: {', '.join(spec.versions)})"
        )
        raise UnsupportedAPIVersion(group, version, kind, reason)
    return spec, version


def version_of(manifest: dict[str, Any]) -> str:
    """The version of a supported SMI manifest (`v1alpha4`)."""
    return resolve(manifest)[1]


# --- parse ----------------------------------------------------------------------------------


def parse(manifest: dict[str, Any]) -> SMIObject:
    """The model object of a manifest of any supported kind and version.

    Raises UnsupportedAPIVersion for what the model does not read, and InvalidManifest
    (listing every problem with its path) when a modelled field has the wrong type.
    Missing fields are not errors here: they are None in the model, and `validate` reports them.
    """
    info, version = resolve(manifest)
    reader = Reader(manifest)
    metadata = reader.mapping(manifest.get("metadata", MISSING), "metadata")
    fields = info.read(reader, info.kind, version)
    if reader.errors:
        raise InvalidManifest(reader.errors)
    return info.model(version=version, metadata=copy.deepcopy(metadata), source=copy.deepcopy(manifest), **fields)


# --- serialize ------------------------------------------------------------------------------


def serialize(obj: SMIObject, version: str | None = None, *, header_shape: HeaderShape | None = None) -> dict[str, Any]:
    """The manifest of `obj` in `version` (default: the version it was read from).

    Raises NotExpressible naming the field and the version when the target version cannot
    hold something the object has. HTTPRouteGroup headers keep the shape they were read in
    when written back to the same version, and are otherwise written as a list of maps, the
    shape every published CRD schema accepts; `header_shape` forces one or the other.
    """
    info = obj.INFO
    target = version or obj.version
    if target not in info.versions:
        raise UnsupportedAPIVersion(info.group, target, info.kind, f"{info.kind} has no version {target!r}")
    fragment: dict[str, Any] = {
        "apiVersion": info.api_version(target),
        "kind": info.kind,
        "metadata": Opaque(obj.metadata) if obj.metadata is not None else DELETE,
    }
    info.write(obj, target, fragment, header_shape)
    document = copy.deepcopy(obj.source) if isinstance(obj.source, dict) else {}
    if target != obj.version:
        _relocate(document, info, obj.version, target)
    result = _overlay(document, fragment)
    return result if isinstance(result, dict) else {}


def _relocate(document: dict[str, Any], spec: KindSpec, source: str, target: str) -> None:
    """Move the modelled containers from where `source` keeps them to where `target` does."""
    kind = spec.kind
    moved: list[tuple[tuple[str, ...], Any]] = []
    for role in spec.containers:
        old, new = locate(kind, source, role), locate(kind, target, role)
        if old is None or old == new:
            continue
        node = _pop(document, old, kind, target)
        if new is not None and node is not MISSING:
            moved.append((new, node))
    for path, node in moved:
        parent = document
        for segment in path[:-1]:
            child = parent.get(segment)
            if not isinstance(child, dict):
                child = parent[segment] = {}
            parent = child
        parent[path[-1]] = node


def _pop(document: dict[str, Any], path: tuple[str, ...], kind: str, target: str) -> Any:
    parents = [document]
    for segment in path[:-1]:
        child = parents[-1].get(segment)
        if not isinstance(child, dict):
            return MISSING
        parents.append(child)
    node = parents[-1].pop(path[-1], MISSING)
    # Drop containers left empty that the target version does not have (`spec` of v1alpha1).
    for depth in range(len(path) - 1, 0, -1):
        if parents[depth] or _declares(kind, target, path[:depth]):
            break
        del parents[depth - 1][path[depth - 1]]
    return node


def _declares(kind: str, version: str, path: tuple[str, ...]) -> bool:
    node: Node | None = shape(kind, version)
    for segment in path:
        node = node.child(segment) if node is not None else None
    return node is not None


def _overlay(original: Any, new: Any) -> Any:
    if isinstance(new, Resolve):
        return new.decide(original)
    if isinstance(new, Opaque):
        return copy.deepcopy(new.value)
    if isinstance(new, dict):
        base = dict(original) if isinstance(original, dict) else {}
        added = False
        for key, value in new.items():
            current = base.get(key, MISSING)
            if value is DELETE:
                if current is not MISSING and current is not None:
                    del base[key]
                continue
            result = _overlay(current, value)
            if result is not SKIP:
                base[key] = result
                added = True
        if not isinstance(original, dict) and not added:
            return SKIP if original is MISSING else original
        return base
    if isinstance(new, list):
        originals = original if isinstance(original, list) else []
        out = []
        for old, item in zip(_pair(originals, new), new, strict=True):
            result = _overlay(old, item)
            out.append({} if result is SKIP else result)
        return out
    return original if _same_scalar(original, new) else new


def _pair(originals: list[Any], new: list[Any]) -> list[Any]:
    """For each new list item, the original item it replaces: same name/service, else same index."""
    used: set[int] = set()
    paired: list[Any] = [MISSING] * len(new)
    for index, item in enumerate(new):
        key = _identity_key(item)
        if key is None:
            continue
        for candidate, old in enumerate(originals):
            if candidate not in used and isinstance(old, dict) and key in old.items():
                paired[index] = old
                used.add(candidate)
                break
    for index, item in enumerate(new):
        if paired[index] is MISSING and index < len(originals) and index not in used:
            if _identity_key(item) is None or not isinstance(originals[index], dict):
                paired[index] = originals[index]
                used.add(index)
    return paired


def _identity_key(item: Any) -> tuple[str, str] | None:
    if isinstance(item, dict):
        for key in ("service", "name"):
            if isinstance(item.get(key), str):
                return key, item[key]
    return None


def _same_scalar(original: Any, new: Any) -> bool:
    if original is MISSING or isinstance(original, bool) != isinstance(new, bool):
        return False
    if isinstance(original, int | float) and isinstance(new, int | float):
        return original == new
    return type(original) is type(new) and original == new


