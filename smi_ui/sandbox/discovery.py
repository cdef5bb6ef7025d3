"""Discovery documents: legacy (`/api`, `/apis`, APIResourceList) and aggregated (apidiscovery v2).

kubectl 1.32 asks `/api` and `/apis` for the aggregated form (one request for every
group, version and resource); the official Python client walks the legacy documents.
Both are generated from the same resource catalog, so they always agree.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .resources import ResourceCatalog, ResourceType

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

SUBRESOURCE_VERBS = {"status": ["get", "patch", "update"]}

VERSION_INFO = {
    "major": "1",
    "minor": "32",
    "emulationMajor": "1",
    "emulationMinor": "32",
    "gitVersion": "v1.32.0-smi-sandbox",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.4",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def wants_aggregated(accept: str) -> str | None:
    """The aggregated media type the client accepts (v2 preferred), or None for the legacy form."""
    for entry in accept.split(","):
        params = {p.split("=", 1)[0].strip(): p.split("=", 1)[1].strip()
                  for p in entry.split(";")[1:] if "=" in p}
        if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io":
            if params.get("v") == "v2":
                return AGGREGATED_V2
            if params.get("v") == "v2beta1":
                return AGGREGATED_V2BETA1
    return None


def _storage_hash(resource_type: ResourceType) -> str:
    digest = hashlib.sha256(f"{resource_type.group}/{resource_type.version}/{resource_type.kind}".encode())
    return digest.digest()[:8].hex()


def api_resource(resource_type: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": resource_type.plural,
        "singularName": resource_type.singular,
        "namespaced": resource_type.namespaced,
        "kind": resource_type.kind,
        "verbs": list(resource_type.verbs),
    }
    if resource_type.short_names:
        entry["shortNames"] = list(resource_type.short_names)
    if resource_type.categories:
        entry["categories"] = list(resource_type.categories)
    if not resource_type.virtual:
        entry["storageVersionHash"] = _storage_hash(resource_type)
    return entry


def resource_list(catalog: ResourceCatalog, group: str, version: str) -> dict[str, Any]:
    resources = []
    for resource_type in catalog.in_version(group, version):
        resources.append(api_resource(resource_type))
        for sub in resource_type.subresources:
            resources.append({"name": f"{resource_type.plural}/{sub}", "singularName": "",
                              "namespaced": resource_type.namespaced, "kind": resource_type.kind,
                              "verbs": SUBRESOURCE_VERBS.get(sub, ["get"])})
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


def api_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def api_group(catalog: ResourceCatalog, group: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in catalog.versions(group)]
    preferred = catalog.preferred_version(group)
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions,
            "preferredVersion": {"groupVersion": f"{group}/{preferred}", "version": preferred}}


def api_group_list(catalog: ResourceCatalog) -> dict[str, Any]:
    groups = []
    for group in catalog.groups():
        entry = api_group(catalog, group)
        entry.pop("kind")
        entry.pop("apiVersion")
        groups.append(entry)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _aggregated_resource(resource_type: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": resource_type.plural,
        "responseKind": {"group": resource_type.group, "version": resource_type.version, "kind": resource_type.kind},
        "scope": "Namespaced" if resource_type.namespaced else "Cluster",
        "singularResource": resource_type.singular,
        "verbs": list(resource_type.verbs),
    }
    if resource_type.short_names:
        entry["shortNames"] = list(resource_type.short_names)
    if resource_type.categories:
        entry["categories"] = list(resource_type.categories)
    if resource_type.subresources:
        entry["subresources"] = [
            {"subresource": sub,
             "responseKind": {"group": resource_type.group, "version": resource_type.version,
                              "kind": resource_type.kind},
             "verbs": SUBRESOURCE_VERBS.get(sub, ["get"])}
            for sub in resource_type.subresources
        ]
    return entry


def aggregated(catalog: ResourceCatalog, legacy: bool, media_type: str) -> dict[str, Any]:
    """APIGroupDiscoveryList for `/api` (legacy=True: the core group) or `/apis` (every named group)."""
    groups = [""] if legacy else catalog.groups()
    items = []
    for group in groups:
        versions = []
        for version in catalog.versions(group):
            versions.append({
                "version": version,
                "resources": [_aggregated_resource(t) for t in catalog.in_version(group, version)],
                "freshness": "Current",
            })
        metadata: dict[str, Any] = {"creationTimestamp": None}
        if group:
            metadata["name"] = group
        items.append({"metadata": metadata, "versions": versions})
    api_version = "apidiscovery.k8s.io/v2" if media_type == AGGREGATED_V2 else "apidiscovery.k8s.io/v2beta1"
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items}


def etag(document: dict[str, Any]) -> str:
    return '"' + hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:32].upper() + '"'
