"""Which SMI kinds and versions a cluster serves, read from its discovery documents.

A cluster answers only the versions its CRDs serve (SMI CRDs have no conversion webhook),
so sync reads and the writer writes in what discovery reports, never in an assumed
"latest" version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smi_ui.smi.kinds import REGISTRY, KindInfo

from .transport import ApiTransport, KubeApiError


@dataclass(frozen=True)
class ServedKind:
    """A kind as one cluster serves it: every served version and the preferred one."""

    info: KindInfo
    versions: tuple[str, ...]
    preferred: str


@dataclass(frozen=True)
class SmiDiscovery:
    served: dict[str, ServedKind] = field(default_factory=dict)  # by kind name
    server_version: str = ""

    @property
    def has_smi(self) -> bool:
        return bool(self.served)

    def describe(self) -> dict[str, dict[str, object]]:
        return {k: {"versions": list(s.versions), "preferred": s.preferred} for k, s in self.served.items()}


def discover_smi(transport: ApiTransport) -> SmiDiscovery:
    """Read /apis and the version documents of every registered group; missing groups are simply absent."""
    groups = transport.get_json("/apis").get("groups", [])
    version_info = _server_version(transport)
    found: dict[str, list[str]] = {}
    preferred_by_group: dict[str, str] = {}
    for group in groups:
        name = group.get("name")
        if name not in REGISTRY.groups():
            continue
        preferred_by_group[name] = (group.get("preferredVersion") or {}).get("version", "")
        for entry in group.get("versions", []):
            version = entry.get("version")
            try:
                resources = transport.get_json(f"/apis/{name}/{version}").get("resources", [])
            except KubeApiError as error:
                if error.status == 404:  # a version removed between the two requests
                    continue
                raise
            for resource in resources:
                if "/" in resource.get("name", ""):
                    continue  # subresources such as status
                info = REGISTRY.by_plural(name, resource.get("name", ""))
                if info is not None and version in info.versions:
                    found.setdefault(info.kind, []).append(version)
    served: dict[str, ServedKind] = {}
    for kind, versions in found.items():
        info = REGISTRY[kind]
        ordered = tuple(sorted(set(versions), key=info.versions.index))
        group_preferred = preferred_by_group.get(info.group, "")
        preferred = group_preferred if group_preferred in ordered else ordered[-1]
        served[kind] = ServedKind(info, ordered, preferred)
    return SmiDiscovery(served=served, server_version=version_info)


def _server_version(transport: ApiTransport) -> str:
    try:
        return transport.get_json("/version").get("gitVersion", "")
    except KubeApiError:
        return ""
