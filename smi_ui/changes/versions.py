"""Which version an edit is written in.

An object is written back in its own version (the version its last writer used, if the
cluster still serves it); a new object in the version it was written in if served, else
the cluster's preferred version. When a version is no longer served (a CRD upgrade), the
manifest is converted through the SMI model, which refuses what the target cannot hold.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from smi_ui.clusters.models import Cluster
from smi_ui.kube.discovery import discover_smi
from smi_ui.kube.transport import ApiTransport
from smi_ui.smi import InvalidManifest, NotExpressible, UnsupportedAPIVersion, parse, serialize, validate_manifest
from smi_ui.smi.kinds import KindInfo, split_api_version

from .errors import InvalidEdit, problem


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
