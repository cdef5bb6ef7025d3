"""The resource types a sandbox cluster serves: built-in kinds plus every installed CRD's versions.

Discovery, routing, storage, validation and table printing all look resource types up
here, so a kind is described once: its group/version/resource names, scope, verbs, and
how its objects are named, defaulted and validated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .objectmeta import NameRule

SchemaProvider = Callable[[str, str, str], dict[str, Any] | None]
"""(kind, version, flavour) -> openAPIV3Schema of that CRD version, or None when unknown."""

CRD_GROUP_RESOURCE = ("apiextensions.k8s.io", "customresourcedefinitions")

FULL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
CRD_VERBS = ("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One group/version/resource as discovery announces it, with the behaviour the server needs."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    verbs: tuple[str, ...] = FULL_VERBS
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    name_rule: NameRule = "subdomain"
    subresources: tuple[str, ...] = ()  # e.g. ("status",): writes to the main resource keep status
    custom: bool = False  # a custom resource: schema-validated, pruned, Status on delete
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    returns_deleted_object: bool = False
    tracks_generation: bool = True
    printer_columns: tuple[dict[str, str], ...] = ()
    virtual: bool = False  # create-only review resources that are never stored

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> tuple[str, str]:
        return (self.group, self.plural)

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def has_status_subresource(self) -> bool:
        return "status" in self.subresources


def builtin_types() -> list[ResourceType]:
    """The core kinds a mesh dashboard reads next to SMI objects, plus the review and Events APIs kubectl uses."""
    return [
        ResourceType("", "v1", "Namespace", "namespaces", "namespace", False,
                     verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
                     short_names=("ns",), name_rule="label", subresources=("status",),
                     returns_deleted_object=True, tracks_generation=False),
        ResourceType("", "v1", "Pod", "pods", "pod", True, short_names=("po",), categories=("all",),
                     subresources=("status",), returns_deleted_object=True, tracks_generation=False),
        ResourceType("", "v1", "Service", "services", "service", True, short_names=("svc",),
                     categories=("all",), name_rule="dns1035", subresources=("status",),
                     returns_deleted_object=True, tracks_generation=False),
        ResourceType("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True,
                     short_names=("sa",), returns_deleted_object=True, tracks_generation=False),
        ResourceType("", "v1", "Event", "events", "event", True, short_names=("ev",),
                     tracks_generation=False),
        ResourceType("apps", "v1", "Deployment", "deployments", "deployment", True, short_names=("deploy",),
                     categories=("all",), subresources=("status",)),
        # Both Events APIs are served, as on a real cluster; nothing in a sandbox reports events, so both
        # list nothing unless a client creates some (each API keeps its own, without conversion between them).
        ResourceType("events.k8s.io", "v1", "Event", "events", "event", True, short_names=("ev",),
                     tracks_generation=False),
        ResourceType("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews",
                     "selfsubjectreview", False, verbs=("create",), virtual=True),
        ResourceType("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews",
                     "selfsubjectaccessreview", False, verbs=("create",), virtual=True),
        ResourceType("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews",
                     "selfsubjectrulesreview", False, verbs=("create",), virtual=True),
        ResourceType("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                     "customresourcedefinition", False, short_names=("crd", "crds"), subresources=("status",),
                     categories=("api-extensions",)),
    ]


def types_from_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """One resource type per served version of a CustomResourceDefinition object."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    types = []
    for version in spec.get("versions") or []:
        if not version.get("served"):
            continue
        subresources = tuple(sorted((version.get("subresources") or spec.get("subresources") or {}).keys()))
        types.append(ResourceType(
            spec.get("group", ""), version.get("name", ""), names.get("kind", ""), names.get("plural", ""),
            names.get("singular") or names.get("kind", "").lower(), spec.get("scope", "Namespaced") == "Namespaced",
            verbs=CRD_VERBS, short_names=tuple(names.get("shortNames") or ()),
            categories=tuple(names.get("categories") or ()), subresources=tuple(s for s in subresources
                                                                                  if s == "status"),
            custom=True, schema=(version.get("schema") or {}).get("openAPIV3Schema"),
            printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
        ))
    return types


class ResourceCatalog:
    """Lookup of resource types by URL parts, by kind and by group, in discovery order."""

    def __init__(self, types: list[ResourceType], preferred: dict[str, str] | None = None):
        self.types = types
        self._by_url = {(t.group, t.version, t.plural): t for t in types}
        self._preferred = preferred or {}

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_url.get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> ResourceType | None:
        for resource_type in self.types:
            if (resource_type.group, resource_type.version, resource_type.kind) == (group, version, kind):
                return resource_type
        return None

    def any_version(self, group: str, plural: str) -> ResourceType | None:
        """The preferred served version of a group/resource (for authorization and cross-version checks)."""
        candidates = [t for t in self.types if (t.group, t.plural) == (group, plural)]
        if not candidates:
            return None
        preferred = self._preferred.get(group)
        return next((t for t in candidates if t.version == preferred), candidates[0])

    def groups(self) -> list[str]:
        """API groups in discovery order: built-ins first, then custom groups alphabetically."""
        seen: list[str] = []
        for resource_type in self.types:
            if resource_type.group and resource_type.group not in seen and not resource_type.custom:
                seen.append(resource_type.group)
        custom = sorted({t.group for t in self.types if t.custom})
        return seen + custom

    def versions(self, group: str) -> list[str]:
        """Served versions of a group, preferred first, then newest first (as discovery orders them)."""
        versions = []
        for resource_type in self.types:
            if resource_type.group == group and resource_type.version not in versions:
                versions.append(resource_type.version)
        preferred = self.preferred_version(group)
        versions.sort(key=lambda v: (v != preferred, _version_rank(v)))
        return versions

    def preferred_version(self, group: str) -> str:
        if group in self._preferred:
            return self._preferred[group]
        versions = {t.version for t in self.types if t.group == group}
        return sorted(versions, key=_version_rank)[0]

    def in_version(self, group: str, version: str) -> list[ResourceType]:
        return sorted((t for t in self.types if (t.group, t.version) == (group, version)), key=lambda t: t.plural)


def _version_rank(version: str) -> tuple[int, int, int]:
    """Kubernetes version priority: GA > beta > alpha, then higher numbers first (v1 > v1beta2 > v1alpha4)."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (3, 0, 0)
    major, stage, minor = match.groups()
    stage_rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (stage_rank, -int(major), -int(minor or 0))


def catalog_for(crds: list[dict[str, Any]]) -> ResourceCatalog:
    """Built-in types plus every served version of the given CRDs.

    A group's preferred version is its highest-priority served version across its CRDs,
    as kube-apiserver's CRD discovery picks it.
    """
    custom = [t for crd in crds for t in types_from_crd(crd)]
    preferred: dict[str, str] = {}
    for resource_type in custom:
        current = preferred.get(resource_type.group)
        if current is None or _version_rank(resource_type.version) < _version_rank(current):
            preferred[resource_type.group] = resource_type.version
    return ResourceCatalog(builtin_types() + custom, preferred)
