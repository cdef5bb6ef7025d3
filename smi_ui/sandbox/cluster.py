"""The API server's behaviour per verb, independent of HTTP.

Each method takes a resource type, the URL's namespace/name and a decoded body, and
does what kube-apiserver's generic registry does, in its order: decode (400) ->
admission (namespace exists, 404) -> validation (422) -> storage (409 AlreadyExists /
Conflict) -> resourceVersion, uid, generation, managedFields. `dryRun` stops right
before storage, so nothing is stored, no event is emitted and the counter is untouched.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from smi_ui.smi.layouts import Layout

from . import builtins, structural
from . import fielderrors as fe
from .crds import crd_objects
from .decoding import decode_object, parse_body, parse_json
from .fieldowners import Write, read_managers, record_update, server_side_apply
from .objectmeta import mark_deleting
from .patches import json_patch, merge_patch, strategic_merge_patch
from .resources import CRD_GROUP_RESOURCE, ResourceCatalog, ResourceType, SchemaProvider, catalog_for
from .selectors import FieldSelector, LabelSelector
from .status import (
    ApiError,
    already_exists,
    bad_request,
    conflict,
    forbidden,
    invalid,
    method_not_allowed,
    not_found,
    stale,
    unsupported_media_type,
)
from .store import ObjectStore, StoredEvent
from .validation import validate_object

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
CUSTOM_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH]
BUILTIN_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH]

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
_NAME_SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class WriteOptions:
    """Query parameters of a write (dryRun, fieldManager, fieldValidation, force) plus the user agent."""

    dry_run: bool = False
    field_manager: str = ""
    user_agent: str = ""
    field_validation: str = "Warn"  # upstream's default when the parameter is absent
    force: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def manager(self) -> str:
        """managerOrUserAgent: the explicit fieldManager, else the user agent up to the first '/'."""
        if self.field_manager:
            return self.field_manager
        return self.user_agent.split("/")[0][:128]


@dataclass
class DeleteOptions:
    dry_run: bool = False
    uid: str | None = None
    resource_version: str | None = None
    propagation_policy: str | None = None


def storage_key(resource_type: ResourceType, namespace: str, name: str) -> str:
    """The etcd key upstream prints in storage errors."""
    if resource_type.plural == "services":
        prefix = "/registry/services/specs"
    elif resource_type.group and resource_type.custom:
        prefix = f"/registry/{resource_type.group}/{resource_type.plural}"
    else:
        prefix = f"/registry/{resource_type.plural}"
    return f"{prefix}/{namespace}/{name}" if namespace else f"{prefix}/{name}"


def precondition_failed(resource_type: ResourceType, namespace: str, name: str, why: str) -> ApiError:
    """409 for a uid/resourceVersion precondition the stored object fails, worded as etcd3 storage words it."""
    key = storage_key(resource_type, namespace, name)
    return conflict(resource_type.group, resource_type.plural, name,
                    f"StorageError: invalid object, Code: 4, Key: {key}, ResourceVersion: 0, "
                    f"AdditionalErrorMsg: Precondition failed: {why}")


class ClusterState:
    """Objects of one sandbox cluster and the verbs that act on them."""

    def __init__(self, layout: Layout, schemas: SchemaProvider | None, watch_window: int = 1000,
                 defer: Callable[[Callable[[], None]], None] | None = None):
        self.layout = layout
        self.catalog: ResourceCatalog = catalog_for([])
        self.store = ObjectStore(watch_window)
        self.defer = defer or (lambda callback: callback())
        self.namespaces = builtins.NamespaceController(
            self.store, lambda: self.catalog.types, lambda t, ns, n: self.delete(t, ns, n, DeleteOptions()),
            self.defer, now_text)
        self.store.subscribe(CRD_GROUP_RESOURCE, self._crd_changed)
        for obj in builtins.system_objects():
            self.admin_apply(obj, manager="kube-apiserver")
        for crd in crd_objects(layout, schemas):
            self.admin_apply(crd, manager="kube-apiserver")

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Objects (CRDs included) from an earlier run's `store.snapshot()`, as a restarted server finds etcd."""
        self.store.restore(snapshot)
        self._refresh_catalog()

    def _refresh_catalog(self) -> None:
        """Custom resource types follow the stored CRDs (installed, changed or removed at run time)."""
        self.catalog = catalog_for(self.store.list(CRD_GROUP_RESOURCE))

    def _crd_changed(self, event: StoredEvent) -> None:
        """A CRD whose spec changed gets new storage upstream: its watch cache starts again from now."""
        self._refresh_catalog()
        spec = event.object.get("spec") or {}
        if event.previous is None or event.type == "DELETED" or (event.previous.get("spec") or {}) != spec:
            self.store.restart_history((spec.get("group", ""), (spec.get("names") or {}).get("plural", "")))

    # ---- lookups ------------------------------------------------------------------------------

    def type_for_object(self, obj: dict[str, Any]) -> ResourceType:
        api_version = obj.get("apiVersion", "")
        group, _, version = api_version.rpartition("/")
        resource_type = self.catalog.by_kind(group, version, obj.get("kind", ""))
        if resource_type is None:
            raise KeyError(f'no matches for kind "{obj.get("kind")}" in version "{api_version}"')
        return resource_type

    def _namespace_exists(self, namespace: str) -> dict[str, Any] | None:
        return self.store.get(("", "namespaces"), "", namespace)

    def output(self, resource_type: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """An object as served in `resource_type`'s version.

        No conversion (SMI CRDs have none): apiVersion changes, and a custom resource is
        pruned on read to what the served version's schema declares, as upstream's
        storage decoder does - a field only another version declares is not shown.
        """
        result = copy.deepcopy(obj)
        if resource_type.custom and resource_type.schema is not None:
            structural.prune(result, resource_type.schema)
        result["apiVersion"] = resource_type.api_version
        result["kind"] = resource_type.kind
        ordered = {"apiVersion": result.pop("apiVersion"), "kind": result.pop("kind")}
        ordered.update(result)
        return ordered

    # ---- reads --------------------------------------------------------------------------------

    def get(self, resource_type: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        found = self.store.get(resource_type.group_resource, namespace, name)
        if found is None:
            raise not_found(resource_type.group, resource_type.plural, name)
        return self.output(resource_type, found)

    def list(self, resource_type: ResourceType, namespace: str | None, labels: LabelSelector,
             fields: FieldSelector, after: tuple[str, str] | None = None,
             limit: int = 0, at: int | None = None) -> tuple[list[dict[str, Any]], str]:
        """Matching objects in key order after `after`; with a limit, at most limit + 1 (the caller pages).

        `at` reads the objects as they were at that resourceVersion (a snapshot: the later
        pages of a paginated list, `resourceVersionMatch=Exact`); Compacted when too old.
        Only the objects handed out are copied, so paging through a large list stays linear.
        """
        items: list[dict[str, Any]] = []
        for obj in self.store.scan(resource_type.group_resource, namespace, after, at):
            if labels.matches((obj.get("metadata") or {}).get("labels")) and fields.matches(obj):
                items.append(self.output(resource_type, obj))
                if limit > 0 and len(items) > limit:
                    break
        return items, str(self.store.resource_version if at is None else at)

    def count_after(self, resource_type: ResourceType, namespace: str | None, labels: LabelSelector,
                    fields: FieldSelector, after: tuple[str, str], at: int | None = None) -> int:
        """How many matching objects follow `after` (a list page's remainingItemCount)."""
        return sum(1 for obj in self.store.scan(resource_type.group_resource, namespace, after, at)
                   if labels.matches((obj.get("metadata") or {}).get("labels")) and fields.matches(obj))

    # ---- admission-like checks ----------------------------------------------------------------

    def _admit_namespace(self, resource_type: ResourceType, namespace: str, creating: bool,
                         name: str | None = None) -> None:
        """NamespaceLifecycle admission: no content in missing namespaces, no new content in terminating ones."""
        if not resource_type.namespaced:
            return
        found = self._namespace_exists(namespace)
        if found is None:
            raise not_found("", "namespaces", namespace)
        if creating and (found.get("metadata") or {}).get("deletionTimestamp"):
            message = f"unable to create new content in namespace {namespace} because it is being terminated"
            error = forbidden(resource_type.group, resource_type.plural, name, message)
            error.details = {**(error.details or {}), "causes": [{
                "reason": "NamespaceTerminating", "message": f"namespace {namespace} is being terminated",
                "field": "metadata.namespace"}]}
            raise error

    def _check_identity(self, resource_type: ResourceType, obj: dict[str, Any], namespace: str,
                        name: str | None) -> None:
        """The body's apiVersion/kind/namespace/name must agree with the URL (400 otherwise)."""
        api_version = obj.get("apiVersion")
        if api_version and api_version != resource_type.api_version:
            group = api_version.rpartition("/")[0]
            if group != resource_type.group:
                raise bad_request(f"the API version in the data ({api_version}) does not match the expected "
                                  f"API version ({resource_type.api_version})")
        kind = obj.get("kind")
        if kind and kind != resource_type.kind:
            raise bad_request(f"{kind} in version \"{resource_type.version}\" cannot be handled as a "
                              f"{resource_type.kind}: the object provided is unrecognized")
        metadata = obj.setdefault("metadata", {})
        if resource_type.namespaced:
            body_namespace = metadata.get("namespace")
            if body_namespace and body_namespace != namespace:
                raise bad_request("the namespace of the provided object does not match the namespace sent on "
                                  "the request")
            metadata["namespace"] = namespace
        if name is not None and metadata.get("name") and metadata["name"] != name:
            raise bad_request(f"the name of the object ({metadata['name']}) does not match the name on the URL "
                              f"({name})")
        if name is not None and not metadata.get("name"):
            metadata["name"] = name
        obj["apiVersion"] = resource_type.api_version
        obj["kind"] = resource_type.kind

    def _validate(self, resource_type: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        errors = validate_object(resource_type, obj, old)
        if errors:
            name = (obj.get("metadata") or {}).get("name") or ""
            raise invalid(resource_type.group, resource_type.kind, name, errors)

    # ---- create -------------------------------------------------------------------------------

    def create(self, resource_type: ResourceType, namespace: str, body: Any, options: WriteOptions) -> dict[str, Any]:
        if "create" not in resource_type.verbs or resource_type.virtual:
            raise method_not_allowed()
        decoded = decode_object(resource_type, body, options.field_validation)
        options.warnings.extend(decoded.warnings)
        obj = decoded.object
        self._check_identity(resource_type, obj, namespace, None)
        return self._create(resource_type, namespace, obj, options)

    def _create(self, resource_type: ResourceType, namespace: str, obj: dict[str, Any],
                options: WriteOptions, managed: bool = False) -> dict[str, Any]:
        """Admit, default, validate and store a new object; `managed`: managedFields are already computed."""
        self._admit_namespace(resource_type, namespace, creating=True, name=(obj.get("metadata") or {}).get("name"))
        metadata = obj.setdefault("metadata", {})
        if resource_type.namespaced:
            metadata["namespace"] = namespace
        if metadata.get("generateName") and not metadata.get("name"):
            metadata["name"] = metadata["generateName"] + "".join(
                random.choice(_NAME_SUFFIX_CHARS) for _ in range(5))
        for key in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                    "deletionGracePeriodSeconds", "selfLink"):
            metadata.pop(key, None)
        if not resource_type.tracks_generation:
            metadata.pop("generation", None)
        builtins.apply_defaults(resource_type.kind, obj, None)
        self._validate(resource_type, obj, None)
        name = metadata["name"]
        if self.store.exists(resource_type.group_resource, namespace if resource_type.namespaced else "", name):
            raise already_exists(resource_type.group, resource_type.plural, name)
        metadata["uid"] = str(uuid.uuid4())
        metadata["creationTimestamp"] = now_text()
        if resource_type.tracks_generation:
            metadata["generation"] = 1
        if resource_type.kind == "Deployment":
            obj["status"] = builtins.deployment_status(obj)
        if not managed:
            managers = read_managers(obj)  # a client may send managedFields; they are kept
            metadata.pop("managedFields", None)
            record_update(None, obj, managers, self._write(resource_type, options))
        if options.dry_run:
            return self.output(resource_type, obj)
        stored = self.store.commit(resource_type.group_resource, "ADDED", obj)
        if resource_type.kind == "Namespace":
            self.admin_apply(builtins.default_service_account(name), manager="kube-controller-manager")
        return self.output(resource_type, stored)

    def _write(self, resource_type: ResourceType, options: WriteOptions, subresource: str = "") -> Write:
        ignored: tuple[tuple[str, ...], ...] = ()
        if resource_type.has_status_subresource and not subresource:
            ignored = (("f:status",),)
        return Write(options.manager, resource_type.api_version, now_text(), resource_type.custom, subresource,
                     ignored)

    # ---- update / patch -----------------------------------------------------------------------

    def _current(self, resource_type: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        found = self.store.get(resource_type.group_resource, namespace, name)
        if found is None:
            raise not_found(resource_type.group, resource_type.plural, name)
        return found

    def update(self, resource_type: ResourceType, namespace: str, name: str, body: Any, options: WriteOptions,
               subresource: str = "") -> dict[str, Any]:
        decoded = decode_object(resource_type, body, options.field_validation)
        options.warnings.extend(decoded.warnings)
        obj = decoded.object
        self._check_identity(resource_type, obj, namespace, name)
        current = self._current(resource_type, namespace, name)
        uid = (obj.get("metadata") or {}).get("uid")
        if uid and uid != current["metadata"].get("uid"):  # an update's uid is a storage precondition
            raise precondition_failed(resource_type, namespace, name, f"UID in precondition: {uid}, "
                                      f"UID in object meta: {current['metadata'].get('uid')}")
        requested_version = (obj.get("metadata") or {}).get("resourceVersion")
        if requested_version and requested_version != current["metadata"]["resourceVersion"]:
            raise stale(resource_type.group, resource_type.plural, name)
        return self._finish_update(resource_type, current, obj, options, subresource)

    def patch(self, resource_type: ResourceType, namespace: str, name: str, body: bytes, content_type: str,
              options: WriteOptions, subresource: str = "") -> tuple[dict[str, Any], bool]:
        """Apply a patch; returns (object, created) - only server-side apply may create."""
        media = content_type.split(";")[0].strip().lower()
        accepted = CUSTOM_PATCH_TYPES if resource_type.custom else BUILTIN_PATCH_TYPES
        if media not in accepted:
            raise unsupported_media_type(media, accepted)
        if media != APPLY_PATCH and options.force:
            raise invalid("meta.k8s.io", "PatchOptions", "",
                          [fe.FieldError("Forbidden", "force", fe.OMIT, "may not be specified for non-apply patch")])
        if media == APPLY_PATCH:
            if not options.field_manager:
                raise invalid("meta.k8s.io", "PatchOptions", "",
                              [fe.required("fieldManager", "is required for apply patch")])
            config = parse_body(body, media)
            if not isinstance(config, dict):
                raise bad_request("error decoding YAML: the body is not a YAML object")
            return self._apply(resource_type, namespace, name, config, options, subresource)
        current = self._current(resource_type, namespace, name)
        current_out = self.output(resource_type, current)
        patch_doc = parse_json(body)
        if media == MERGE_PATCH:
            if not isinstance(patch_doc, dict):
                raise bad_request("json: cannot unmarshal into Go value of type map[string]interface {}")
            patched = merge_patch(current_out, patch_doc)
        elif media == JSON_PATCH:
            patched = json_patch(current_out, patch_doc)
        else:
            patched = strategic_merge_patch(current_out, patch_doc)
        decoded = decode_object(resource_type, patched, options.field_validation, patch=True)
        options.warnings.extend(decoded.warnings)
        obj = decoded.object
        metadata = obj.setdefault("metadata", {})
        if metadata.get("name") != name or (resource_type.namespaced and metadata.get("namespace") != namespace):
            raise bad_request("metadata.name and metadata.namespace may not be changed by a patch")
        requested_version = metadata.get("resourceVersion")
        if requested_version and requested_version != current["metadata"]["resourceVersion"]:
            raise stale(resource_type.group, resource_type.plural, name)
        return self._finish_update(resource_type, current, obj, options, subresource), False

    def _apply(self, resource_type: ResourceType, namespace: str, name: str, config: dict[str, Any],
               options: WriteOptions, subresource: str) -> tuple[dict[str, Any], bool]:
        checked = decode_object(resource_type, copy.deepcopy(config), options.field_validation, patch=True)
        options.warnings.extend(checked.warnings)
        self._check_identity(resource_type, config, namespace, name)
        current = self.store.get(resource_type.group_resource, namespace, name)
        managers = read_managers(current) if current else []
        write = self._write(resource_type, options, subresource)
        live = self.output(resource_type, current) if current else None
        if live is not None:
            live.get("metadata", {}).pop("managedFields", None)
        merged = server_side_apply(live, checked.object if resource_type.custom else config, managers, write,
                                   options.force)
        if current is None:
            return self._create(resource_type, namespace, merged, options, managed=True), True
        requested_version = (config.get("metadata") or {}).get("resourceVersion")
        if requested_version and requested_version != current["metadata"]["resourceVersion"]:
            raise stale(resource_type.group, resource_type.plural, name)
        return self._finish_update(resource_type, current, merged, options, subresource, managed=True), False

    def _finish_update(self, resource_type: ResourceType, current: dict[str, Any], obj: dict[str, Any],
                       options: WriteOptions, subresource: str, managed: bool = False) -> dict[str, Any]:
        """Carry over what the server owns, bump generation, validate, record ownership, store."""
        metadata = obj.setdefault("metadata", {})
        old_meta = current["metadata"]
        if not metadata.get("uid"):  # a different one is refused by validation (immutable)
            metadata["uid"] = old_meta.get("uid")
        for key in ("creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if key in old_meta:
                metadata[key] = old_meta[key]
            else:
                metadata.pop(key, None)
        metadata["name"] = old_meta["name"]
        if resource_type.namespaced:
            metadata["namespace"] = old_meta["namespace"]
        if subresource == "status":
            status = obj.get("status")
            obj = copy.deepcopy(current)
            if status is None:
                obj.pop("status", None)
            else:
                obj["status"] = status
            metadata = obj["metadata"]
        elif resource_type.has_status_subresource:
            if "status" in current:
                obj["status"] = copy.deepcopy(current["status"])
            else:
                obj.pop("status", None)
        builtins.apply_defaults(resource_type.kind, obj, current)
        if resource_type.tracks_generation:
            metadata["generation"] = old_meta.get("generation", 1)
            if _spec_changed(resource_type, current, obj):
                metadata["generation"] += 1
        else:
            metadata.pop("generation", None)
        if resource_type.kind == "Deployment" and not subresource:
            obj["status"] = builtins.deployment_status(obj)
        self._validate(resource_type, obj, current)
        if not managed:
            incoming = metadata.pop("managedFields", None)
            owner_source = {"metadata": {"managedFields": incoming}} if incoming else current
            managers = read_managers(owner_source)
            old_for_compare = copy.deepcopy(current)
            old_for_compare["metadata"].pop("managedFields", None)
            record_update(old_for_compare, obj, managers, self._write(resource_type, options, subresource))
        if _same_object(current, obj):
            return self.output(resource_type, current)
        metadata["resourceVersion"] = old_meta["resourceVersion"]
        if metadata.get("deletionTimestamp") and not builtins.finalizers_left(resource_type.kind, obj):
            if options.dry_run:
                return self.output(resource_type, obj)
            return self.output(resource_type, self.store.commit(resource_type.group_resource, "DELETED", obj))
        if options.dry_run:
            return self.output(resource_type, obj)
        return self.output(resource_type, self.store.commit(resource_type.group_resource, "MODIFIED", obj))

    # ---- delete -------------------------------------------------------------------------------

    def delete(self, resource_type: ResourceType, namespace: str, name: str,
               options: DeleteOptions) -> dict[str, Any]:
        current = self._current(resource_type, namespace, name)
        metadata = current["metadata"]
        precondition = None
        if options.uid is not None and options.uid != metadata.get("uid"):
            precondition = f"UID in precondition: {options.uid}, UID in object meta: {metadata.get('uid')}"
        elif options.resource_version is not None and options.resource_version != metadata.get("resourceVersion"):
            precondition = (f"ResourceVersion in precondition: {options.resource_version}, "
                            f"ResourceVersion in object meta: {metadata.get('resourceVersion')}")
        if precondition:
            raise precondition_failed(resource_type, namespace, name, precondition)
        if resource_type.kind == "Namespace":
            if name in IMMORTAL_NAMESPACES:
                raise forbidden("", "namespaces", name, "this namespace may not be deleted")
            return self._delete_namespace(resource_type, current, options)
        if metadata.get("finalizers"):
            if mark_deleting(metadata, now_text()):
                if not options.dry_run:
                    current = self.store.commit(resource_type.group_resource, "MODIFIED", current)
            return self.output(resource_type, current)
        if options.dry_run:
            deleted = current
        else:
            if resource_type.group_resource == CRD_GROUP_RESOURCE:
                self._delete_instances(current)
            deleted = self.store.commit(resource_type.group_resource, "DELETED", current)
        if resource_type.returns_deleted_object:
            return self.output(resource_type, deleted)
        details: dict[str, Any] = {"name": name}
        if resource_type.group:
            details["group"] = resource_type.group
        details["kind"] = resource_type.plural
        details["uid"] = metadata.get("uid")
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def _delete_instances(self, crd: dict[str, Any]) -> None:
        """Removing a CRD removes its objects first (upstream's CRD finalizer)."""
        spec = crd.get("spec") or {}
        group_resource = (spec.get("group", ""), (spec.get("names") or {}).get("plural", ""))
        for obj in self.store.list(group_resource):
            self.store.commit(group_resource, "DELETED", obj)

    def _delete_namespace(self, resource_type: ResourceType, current: dict[str, Any],
                          options: DeleteOptions) -> dict[str, Any]:
        """Namespaces go Terminating; the namespace controller then removes their content and them."""
        name = current["metadata"]["name"]
        if options.dry_run:
            return self.output(resource_type, current)
        if not current["metadata"].get("deletionTimestamp"):
            current["metadata"]["deletionTimestamp"] = now_text()
            current["status"] = {"phase": "Terminating"}
            current = self.store.commit(resource_type.group_resource, "MODIFIED", current)

        self.defer(lambda: self.namespaces.sync(name))
        return self.output(resource_type, current)

    def delete_collection(self, resource_type: ResourceType, namespace: str | None, labels: LabelSelector,
                          fields: FieldSelector, options: DeleteOptions) -> dict[str, Any]:
        items, _ = self.list(resource_type, namespace, labels, fields)
        deleted = []
        for item in items:
            metadata = item["metadata"]
            result = self.delete(resource_type, metadata.get("namespace", ""), metadata["name"],
                                 DeleteOptions(dry_run=options.dry_run))
            deleted.append(result if result.get("kind") != "Status" else item)
        return {"apiVersion": resource_type.api_version, "kind": resource_type.list_kind,
                "metadata": {"resourceVersion": str(self.store.resource_version)},
                "items": [self.output(resource_type, d) for d in deleted]}

    # ---- direct changes (test control, demo seeding) ------------------------------------------

    def admin_apply(self, obj: dict[str, Any], manager: str = "sandbox") -> dict[str, Any]:
        """Create or replace an object without authorization or strict validation (still schema-checked)."""
        resource_type = self.type_for_object(obj)
        namespace = (obj.get("metadata") or {}).get("namespace") or ("default" if resource_type.namespaced else "")
        name = obj["metadata"]["name"]
        options = WriteOptions(field_manager=manager, field_validation="Ignore")
        body = copy.deepcopy(obj)
        if not resource_type.namespaced:
            body.get("metadata", {}).pop("namespace", None)
        if self.store.exists(resource_type.group_resource, namespace if resource_type.namespaced else "", name):
            body.get("metadata", {}).pop("resourceVersion", None)
            return self.update(resource_type, namespace, name, body, options)
        return self.create(resource_type, namespace, body, options)

    def admin_delete(self, obj_or_kind: dict[str, Any]) -> None:
        resource_type = self.type_for_object(obj_or_kind)
        metadata = obj_or_kind.get("metadata") or {}
        namespace = metadata.get("namespace") or ("default" if resource_type.namespaced else "")
        self.delete(resource_type, namespace, metadata["name"], DeleteOptions())


def _strip_volatile(obj: dict[str, Any]) -> dict[str, Any]:
    clean = copy.deepcopy(obj)
    metadata = clean.get("metadata") or {}
    metadata.pop("resourceVersion", None)
    for entry in metadata.get("managedFields") or []:
        entry.pop("time", None)
    clean.pop("apiVersion", None)
    clean.pop("kind", None)
    return clean


def _same_object(current: dict[str, Any], new: dict[str, Any]) -> bool:
    """A no-op write is not stored: no new resourceVersion, no event (like etcd's GuaranteedUpdate)."""
    return _strip_volatile(current) == _strip_volatile(new)


def _spec_changed(resource_type: ResourceType, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Generation counts changes outside metadata (and outside status when it is a subresource)."""
    skip = {"metadata", "apiVersion", "kind"}
    if resource_type.has_status_subresource:
        skip.add("status")
    keys = (set(old) | set(new)) - skip
    return any(old.get(k) != new.get(k) for k in keys)

