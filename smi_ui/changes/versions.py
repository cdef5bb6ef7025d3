"""Which version an edit is written in.

An object is written back in its own version (the version its last writer used, if the
cluster still serves it); a new object in the version it was written in if served, else
the cluster's preferred version. When a version is no longer served (a CRD upgrade), the
manifest is converted through the SMI model, which refuses what the target cannot hold.

The cluster serves an object pruned to the requested version's schema and stores what a
write sends, so writing back in a version that lacks a field the object holds deletes it:
`check_fields` finds such fields and refuses unless the user chose to drop them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from smi_ui.audit.models import Outcome
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.kube.discovery import discover_smi
from smi_ui.kube.transport import ApiTransport
from smi_ui.smi import InvalidManifest, NotExpressible, UnsupportedAPIVersion, parse, serialize, validate_manifest
from smi_ui.smi.kinds import KindInfo, split_api_version
from smi_ui.smi.shapes import Node, shape

from .errors import ChangeError, InvalidEdit, problem


@dataclass(frozen=True)
class ServedVersions:
    versions: tuple[str, ...]
    preferred: str


def served_versions(cluster: Cluster, info: KindInfo, transport: ApiTransport) -> ServedVersions:
    """The versions of `info` the cluster serves; discovery is read when sync has not stored it yet."""
    served = (cluster.served_kinds or {}).get(info.kind)
    if served is None and not cluster.served_kinds:
        discovery = discover_smi(transport)
        cluster.served_kinds = discovery.describe()
        Cluster.objects.filter(pk=cluster.pk).update(served_kinds=cluster.served_kinds, discovered_at=timezone.now())
        served = cluster.served_kinds.get(info.kind)
    if not served:
        raise InvalidEdit([problem("kind", f"cluster {cluster.name} does not serve {info.kind} (no CRD installed)",
                                   "not-served")])
    return ServedVersions(tuple(served["versions"]), served["preferred"])


def own_version(document: dict[str, Any], info: KindInfo, served: ServedVersions) -> str:
    """The served version the object was last written in, and in which it still reads cleanly."""
    candidates: list[str] = []
    entries = (document.get("metadata") or {}).get("managedFields") or []
    for entry in sorted(entries, key=lambda e: e.get("time") or "", reverse=True):
        group, version = split_api_version(entry.get("apiVersion") or "")
        if group == info.group:
            candidates.append(version)
    candidates.append(split_api_version(document.get("apiVersion") or "")[1])
    candidates.append(served.preferred)
    candidates.extend(sorted(served.versions, key=info.versions.index, reverse=True))
    for version in dict.fromkeys(candidates):
        if version in served.versions and _reads_as(document, info, version):
            return version
    return served.preferred


def _reads_as(document: dict[str, Any], info: KindInfo, version: str) -> bool:
    try:
        parse(relabel(document, info, version))
    except (InvalidManifest, UnsupportedAPIVersion):
        return False
    return True


def relabel(document: dict[str, Any], info: KindInfo, version: str) -> dict[str, Any]:
    """The same document under another apiVersion (what an apiserver without conversion serves)."""
    copied = copy.deepcopy(document)
    copied["apiVersion"] = info.api_version(version)
    return copied


def in_version(manifest: dict[str, Any], version: str, *, check: bool = True) -> dict[str, Any]:
    """The manifest written in `version`, converted through the SMI model when it is another version.

    With `check`, every problem of the manifest as given is reported at once (in its own
    version's paths), rather than only the first that stops the conversion.
    """
    if check:
        errors = validate_manifest(manifest)
        if errors:
            raise InvalidEdit([problem(e.path, e.message, e.code) for e in errors])
    try:
        obj = parse(manifest)
    except InvalidManifest as error:
        raise InvalidEdit([problem(e.path, e.message, e.code) for e in error.errors]) from None
    except UnsupportedAPIVersion as error:
        raise InvalidEdit([problem("apiVersion", str(error), "unsupported-version")]) from None
    if obj.version == version:
        return manifest
    try:
        return serialize(obj, version)
    except NotExpressible as error:
        raise InvalidEdit([problem(error.field, str(error), "not-expressible")]) from None


def version_for_new(manifest: dict[str, Any], served: ServedVersions) -> str:
    """A manifest's own version when served, else the cluster's preferred one."""
    version = split_api_version(str(manifest.get("apiVersion") or ""))[1]
    return version if version in served.versions else served.preferred


def refresh_served(cluster: Cluster, info: KindInfo, transport: ApiTransport) -> ServedVersions | None:
    """Discovery read again (a CRD may have just switched versions); None when the kind is no longer served."""
    discovery = discover_smi(transport)
    cluster.served_kinds = discovery.describe()
    Cluster.objects.filter(pk=cluster.pk).update(served_kinds=cluster.served_kinds, discovered_at=timezone.now())
    served = cluster.served_kinds.get(info.kind)
    return ServedVersions(tuple(served["versions"]), served["preferred"]) if served else None


# --- fields a write in a version would lose ---------------------------------------------------

#: The most fields an edit may name to drop, and the longest path (bounded cost for hostile input).
MAX_DROP_FIELDS = 64
MAX_FIELD_PATH = 300
Segments = tuple[str | int, ...]


class FieldsWouldBeLost(ChangeError):
    """Writing in this version would delete fields the object holds that the version cannot express."""

    status = 409
    outcome = Outcome.REJECTED


@dataclass(frozen=True)
class LostField:
    path: str  # `spec.matches`, `spec.backends[0].extra`
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass
class FieldCheck:
    """What a write in `version` would lose, and the object with those fields (what the diff starts from)."""

    lost: list[LostField]
    before: dict[str, Any]
    drop: tuple[str, ...] = ()

    def refuse_undropped(self) -> None:
        """409 naming every field the write would lose that the user did not choose to drop."""
        undropped = [field for field in self.lost if field.path not in self.drop]
        if undropped:
            raise FieldsWouldBeLost([problem(field.path, field.message, "would-lose-field") for field in undropped],
                                    detail={"lost_fields": [field.as_dict() for field in self.lost]})


def drop_fields_given(value: Any) -> tuple[str, ...]:
    """The `drop_fields` of an edit: field paths the user agrees to lose (validated, bounded)."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise InvalidEdit([problem("drop_fields", "a list of field paths, such as [\"spec.matches\"]", "type")])
    if len(value) > MAX_DROP_FIELDS:
        raise InvalidEdit([problem("drop_fields", f"at most {MAX_DROP_FIELDS} paths, not {len(value)}", "too-many")])
    for index, item in enumerate(value):
        if len(item) > MAX_FIELD_PATH:
            raise InvalidEdit([problem(f"drop_fields[{index}]", f"at most {MAX_FIELD_PATH} characters", "too-long")])
    return tuple(value)


def check_fields(cluster: Cluster, info: KindInfo, current: dict[str, Any], desired: dict[str, Any] | None,
                 version: str, views: list[dict[str, Any]], *, drop: tuple[str, ...] = ()) -> FieldCheck:
    """Compare what the object holds with what a write of `desired` in `version` keeps.

    The cluster serves the object pruned to `version`'s schema, so a field only another
    version declares is absent from `current`, yet still stored: writing the object back
    in `version` deletes it for good. What the object holds is known from its other views
    at the same resourceVersion (other served versions, and the inventory's copies read
    before a CRD switch). `refuse_undropped` then stops a write losing fields not in `drop`.
    """
    metadata = current.get("metadata") or {}
    key = (metadata.get("uid"), metadata.get("resourceVersion"))
    views = [*views, *_stored_views(cluster, info, current)]
    missing: dict[str, tuple[Segments, Any]] = {}
    for view in views:
        view_metadata = view.get("metadata") or {}
        if (view_metadata.get("uid"), view_metadata.get("resourceVersion")) != key:
            continue  # another state of the object: what it held then is not what it holds now
        for segments, value in _missing(view, current):
            if desired is None or not _has(desired, segments):
                missing.setdefault(_dotted(segments), (segments, value))
    before = copy.deepcopy(current)
    lost = []
    for path, (segments, value) in missing.items():
        _graft(before, segments, value)
        lost.append(LostField(path, _why_lost(info, version, path, segments)))
    return FieldCheck(lost, before, drop)


def _stored_views(cluster: Cluster, info: KindInfo, current: dict[str, Any]) -> list[dict[str, Any]]:
    """The inventory's copies of this object at this resourceVersion, in other versions."""
    metadata = current.get("metadata") or {}
    uid, resource_version = metadata.get("uid") or "", metadata.get("resourceVersion") or ""
    api_version = current.get("apiVersion") or ""
    same = {"cluster": cluster, "uid": uid, "resource_version": resource_version}
    objects = KubeObject.objects.filter(kind=info.kind, **same).exclude(api_version=api_version)
    revisions = Revision.objects.filter(kind=info.kind, after__isnull=False, **same).exclude(api_version=api_version)
    found = list(objects.values_list("raw", flat=True)[:1]) + list(revisions.values_list("after", flat=True)[:5])
    return [view for view in found if isinstance(view, dict)]


def _missing(full: Any, shown: Any, path: Segments = ()) -> list[tuple[Segments, Any]]:
    """Values in `full` that `shown` lacks (outermost only), ignoring type and object metadata."""
    found: list[tuple[Segments, Any]] = []
    if isinstance(full, dict) and isinstance(shown, dict):
        for key, value in full.items():
            if not path and key in ("apiVersion", "kind", "metadata"):
                continue
            if key not in shown:
                found.append(((*path, key), value))
            else:
                found.extend(_missing(value, shown[key], (*path, key)))
    elif isinstance(full, list) and isinstance(shown, list) and len(full) == len(shown):
        for index, (item, other) in enumerate(zip(full, shown, strict=True)):
            found.extend(_missing(item, other, (*path, index)))
    return found


def _has(document: Any, segments: Segments) -> bool:
    node = document
    for segment in segments:
        if isinstance(segment, int):
            if not isinstance(node, list) or segment >= len(node):
                return False
        elif not isinstance(node, dict) or segment not in node:
            return False
        node = node[segment]
    return True


def _graft(document: dict[str, Any], segments: Segments, value: Any) -> None:
    node: Any = document
    for segment in segments[:-1]:
        node = node[segment]
    node[segments[-1]] = copy.deepcopy(value)


def _dotted(segments: Segments) -> str:
    text = ""
    for segment in segments:
        text += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if text else segment)
    return text


def _why_lost(info: KindInfo, version: str, path: str, segments: Segments) -> str:
    shape_path = tuple("[]" if isinstance(segment, int) else segment for segment in segments)
    holders = [v for v in info.versions if _declares(info.kind, v, shape_path)]
    consequence = (f"writing the object as {info.api_version(version)} would delete it from the cluster for good; "
                   f"name it in drop_fields to write anyway")
    if not _declares(info.kind, version, shape_path):
        where = f" (only {', '.join(holders)} can)" if holders else ""
        return f"{info.kind} {version} cannot hold {path}{where}, which the object holds: {consequence}"
    return f"the cluster's {info.kind} {version} schema does not declare {path}, which the object holds: {consequence}"


def _declares(kind: str, version: str, path: tuple[str, ...]) -> bool:
    node: Node | None = shape(kind, version)
    for segment in path:
        if node is None:
            return False
        node = node.items if segment == "[]" else node.child(segment)
    return node is not None
