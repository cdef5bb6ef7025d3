"""OpenAPI v3 documents, served so kubectl trusts the server to validate fields itself.

Before `create`/`apply`, kubectl looks up the group-version's OpenAPI v3 document for a
PATCH operation of the kind that lists a `fieldValidation` query parameter; finding
it, kubectl skips client-side validation and sends `fieldValidation=Strict`, exactly
as it does against a real cluster. Custom kinds carry their CRD schema (for
`kubectl explain`); built-in kinds deliberately advertise no strategic-merge schema, so
kubectl computes their patches from its compiled-in types.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .resources import ResourceCatalog, ResourceType

META = "io.k8s.apimachinery.pkg.apis.meta.v1"
QUERY_PARAMETERS = {
    "get": ["pretty"],
    "list": ["allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
             "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"],
    "post": ["dryRun", "fieldManager", "fieldValidation"],
    "put": ["dryRun", "fieldManager", "fieldValidation"],
    "patch": ["dryRun", "fieldManager", "fieldValidation", "force"],
    "delete": ["dryRun", "gracePeriodSeconds", "propagationPolicy"],
    "deletecollection": ["dryRun", "labelSelector", "fieldSelector"],
}


def group_version_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def schema_name(resource_type: ResourceType) -> str:
    """`io.smi-spec.split.v1alpha4.TrafficSplit`, `io.k8s.api.core.v1.Service` - upstream's naming."""
    if resource_type.custom:
        reversed_group = ".".join(reversed(resource_type.group.split(".")))
        return f"{reversed_group}.{resource_type.version}.{resource_type.kind}"
    package = resource_type.group.split(".")[0] or "core"
    return f"io.k8s.api.{package}.{resource_type.version}.{resource_type.kind}"


def _parameters(names: list[str]) -> list[dict[str, Any]]:
    return [{"name": name, "in": "query", "schema": {"type": "string"}, "uniqueItems": True} for name in names]


def _gvk(resource_type: ResourceType) -> dict[str, str]:
    return {"group": resource_type.group, "version": resource_type.version, "kind": resource_type.kind}


def _operation(resource_type: ResourceType, action: str, parameters: list[str], ref: str,
               body_types: list[str] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{action}{resource_type.kind}",
        "parameters": _parameters(parameters),
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(resource_type),
    }
    if body_types:
        operation["requestBody"] = {"content": {t: {"schema": {"$ref": ref}} for t in body_types}, "required": True}
    return operation


def _paths(resource_type: ResourceType) -> dict[str, Any]:
    prefix = "/" + group_version_path(resource_type.group, resource_type.version)
    scoped = f"{prefix}/namespaces/{{namespace}}/{resource_type.plural}" if resource_type.namespaced \
        else f"{prefix}/{resource_type.plural}"
    ref = f"#/components/schemas/{schema_name(resource_type)}"
    patch_ref = f"#/components/schemas/{META}.Patch"
    verbs = set(resource_type.verbs)
    collection: dict[str, Any] = {}
    item: dict[str, Any] = {}
    if "list" in verbs:
        collection["get"] = _operation(resource_type, "list", QUERY_PARAMETERS["list"], ref)
    if "create" in verbs:
        collection["post"] = _operation(resource_type, "post", QUERY_PARAMETERS["post"], ref, ["*/*"])
    if "deletecollection" in verbs:
        collection["delete"] = _operation(resource_type, "deletecollection", QUERY_PARAMETERS["deletecollection"],
                                          f"#/components/schemas/{META}.Status")
    if "get" in verbs:
        item["get"] = _operation(resource_type, "get", QUERY_PARAMETERS["get"], ref)
    if "update" in verbs:
        item["put"] = _operation(resource_type, "put", QUERY_PARAMETERS["put"], ref, ["*/*"])
    if "patch" in verbs:
        patch = _operation(resource_type, "patch", QUERY_PARAMETERS["patch"], ref,
                           ["application/json-patch+json", "application/merge-patch+json",
                            "application/apply-patch+yaml"])
        for content in patch["requestBody"]["content"].values():
            content["schema"] = {"$ref": patch_ref}
        item["patch"] = patch
    if "delete" in verbs:
        item["delete"] = _operation(resource_type, "delete", QUERY_PARAMETERS["delete"],
                                    f"#/components/schemas/{META}.Status")
    paths = {}
    if collection:
        paths[scoped] = collection
    if item:
        paths[f"{scoped}/{{name}}"] = item
    if resource_type.namespaced and "list" in verbs:
        paths[f"{prefix}/{resource_type.plural}"] = {
            "get": _operation(resource_type, "list", QUERY_PARAMETERS["list"], ref)}
    return paths


def _kind_schema(resource_type: ResourceType) -> dict[str, Any]:
    schema = json.loads(json.dumps(resource_type.schema)) if resource_type.schema else {
        "type": "object", "x-kubernetes-preserve-unknown-fields": True}
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string", "description": "APIVersion of this representation of the object."}
    properties["kind"] = {"type": "string", "description": "Kind is the REST resource this object represents."}
    properties["metadata"] = {"allOf": [{"$ref": f"#/components/schemas/{META}.ObjectMeta"}],
                              "description": "Standard object's metadata."}
    schema["x-kubernetes-group-version-kind"] = [_gvk(resource_type)]
    return schema


def _meta_components() -> dict[str, Any]:
    return {
        f"{META}.ObjectMeta": {"type": "object", "description": "Standard object metadata.",
                               "x-kubernetes-preserve-unknown-fields": True},
        f"{META}.Patch": {"type": "object", "description": "A patch body."},
        f"{META}.Status": {"type": "object", "description": "Status of an operation.",
                           "x-kubernetes-preserve-unknown-fields": True},
    }


def group_version_document(catalog: ResourceCatalog, group: str, version: str) -> dict[str, Any] | None:
    types = catalog.in_version(group, version)
    if not types:
        return None
    paths: dict[str, Any] = {}
    schemas = _meta_components()
    for resource_type in types:
        paths.update(_paths(resource_type))
        if resource_type.custom:
            schemas[schema_name(resource_type)] = _kind_schema(resource_type)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0-smi-sandbox"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def document_hash(document: dict[str, Any]) -> str:
    return hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest().upper()


def root_document(catalog: ResourceCatalog) -> dict[str, Any]:
    paths = {}
    for group in ["", *catalog.groups()]:
        for version in catalog.versions(group):
            document = group_version_document(catalog, group, version)
            if document is None:
                continue
            path = group_version_path(group, version)
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={document_hash(document)}"}
    return {"paths": paths}
