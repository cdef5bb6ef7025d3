"""The edits the dashboard offers: one function each, shared by the API, pages, websockets and the CLI.

Each function describes its edit (what it changes, which permission it needs) and hands
it to `pipeline.execute`, which authorizes, reads, guards, validates, dry-runs, writes
and audits the same way for all of them. Every edit of an existing object names the
resourceVersion it was based on; `preview=True` returns the diff and the cluster's
dry-run verdict without writing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from smi_ui.accounts.roles import Action
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import ChangeType, Revision
from smi_ui.smi import Backend, InvalidManifest, UnsupportedAPIVersion, parse, resolve, serialize
from smi_ui.smi.kinds import REGISTRY, KindInfo, split_api_version
from smi_ui.smi.quantity import InvalidQuantity, quantity_value
from smi_ui.smi.shapes import node_for
from smi_ui.smi.shares import WeightError, effective_shares, rebalance

from .actors import Actor
from .errors import InvalidEdit, ObjectNotFound, problem
from .manifests import json_problems
from .pipeline import EditRequest, EditResult, Target, execute, model_errors, preparing, share_figures
from .versions import drop_fields_given, in_version, relabel

#: The kind backend edits mean when the caller names none (the CLI, callers from before other weighted kinds).
DEFAULT_WEIGHTED_KIND = "TrafficSplit"  # kind-reference: the default of callers that name no kind
#: Metadata a client may set; everything else in metadata is the cluster's and is kept as it is.
EDITABLE_METADATA = ("labels", "annotations")
#: Metadata that belongs to one incarnation of an object and must not be sent when re-creating it.
SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "deletionTimestamp",
                   "deletionGracePeriodSeconds", "selfLink", "ownerReferences", "finalizers")


# --- backends of kinds with weighted backends -------------------------------------------------


def set_split_weights(actor: Actor, cluster: Cluster, namespace: str, name: str, weights: Mapping[str, Any], *,
                      base_resource_version: str | None, preview: bool = False, force: bool = False,
                      drop_fields: Sequence[str] | None = None, kind: str = DEFAULT_WEIGHTED_KIND) -> EditResult:
    """New weights for some or all backends (in the object's own units); the others keep theirs.

    `kind` is any kind with the weighted-backends trait; the weights are those of its (first)
    weight group, set through the trait, so the kind's module decides where they live.

    Every edit of an existing object takes `drop_fields`: the fields the user agrees the
    write may lose when the version it is written in cannot hold them (otherwise refused).
    """
    info = _weighted_kind(kind)
    with preparing(actor, "set-weights", Action.EDIT_WEIGHTS, cluster, kind=info.kind, namespace=namespace,
                   name=name):
        drops = drop_fields_given(drop_fields)
        if not isinstance(weights, Mapping) or not weights:
            raise InvalidEdit([problem("weights", "give at least one backend and its weight", "required")])
    summary = "set weights " + ", ".join(f"{service}={weight}" for service, weight in weights.items())

    def plan(current: dict[str, Any] | None, version: str) -> dict[str, Any]:
        split = _split(current, version, info)
        weighted = info.traits.weighted
        group = weighted.groups(split)[0]
        known = set(group.services)
        listed = ", ".join(sorted(filter(None, known)))
        errors = [problem(f"weights.{service}", f"{service!r} is not a backend of {name} (backends: {listed})",
                          "unknown-backend")
                  for service in weights if service not in known]
        parsed = {}
        for service, weight in weights.items():
            value = _weight(weight, split, f"weights.{service}", errors)
            if value is not None:
                parsed[service] = value
        if errors:
            raise InvalidEdit(errors)
        new = [parsed.get(service, weight) for service, weight in zip(group.services, group.weights, strict=True)]
        try:
            effective_shares([weight if weight is not None else 0 for weight in new])
        except WeightError as error:
            raise InvalidEdit([problem("weights", str(error), "weights")]) from None
        return serialize(weighted.with_weights(split, group.key, new), version)

    return execute(actor, EditRequest("set-weights", Action.EDIT_WEIGHTS, _target(cluster, info, namespace,
                                                                                 name),
                                      "update", plan, summary, base_resource_version, preview, force,
                                      drop_fields=drops))


def add_backend(actor: Actor, cluster: Cluster, namespace: str, name: str, service: str, weight: Any, *,
                base_resource_version: str | None, preview: bool = False, force: bool = False,
                drop_fields: Sequence[str] | None = None, kind: str = DEFAULT_WEIGHTED_KIND) -> EditResult:
    """One more backend Service with its weight."""
    info = _weighted_kind(kind)
    with preparing(actor, "add-backend", Action.EDIT_POLICY, cluster, kind=info.kind, namespace=namespace,
                   name=name):
        drops = drop_fields_given(drop_fields)  # nothing else to check before reading the split

    def plan(current: dict[str, Any] | None, version: str) -> dict[str, Any]:
        split = _split(current, version, info)
        errors: list[dict[str, str]] = []
        if not isinstance(service, str) or not service:
            errors.append(problem("service", "name the backend Service", "required"))
        elif any(backend.service == service for backend in split.backends or []):
            errors.append(problem("service", f"{service!r} is already a backend of {name}", "duplicate"))
        value = _weight(weight, split, "weight", errors)
        if errors:
            raise InvalidEdit(errors)
        split.backends = [*(split.backends or []), Backend(service=service, weight=value)]
        return serialize(split, version)

    return execute(actor, EditRequest("add-backend", Action.EDIT_POLICY, _target(cluster, info, namespace,
                                                                                name),
                                      "update", plan, f"add backend {service}={weight}", base_resource_version,
                                      preview, force, drop_fields=drops))


def remove_backend(actor: Actor, cluster: Cluster, namespace: str, name: str, service: str, *,
                   base_resource_version: str | None, preview: bool = False, force: bool = False,
                   drop_fields: Sequence[str] | None = None, kind: str = DEFAULT_WEIGHTED_KIND) -> EditResult:
    """Drop one backend Service (its traffic goes to the others, in their proportions)."""
    info = _weighted_kind(kind)
    with preparing(actor, "remove-backend", Action.EDIT_POLICY, cluster, kind=info.kind, namespace=namespace,
                   name=name):
        drops = drop_fields_given(drop_fields)  # nothing else to check before reading the split

    def plan(current: dict[str, Any] | None, version: str) -> dict[str, Any]:
        split = _split(current, version, info)
        remaining = [backend for backend in split.backends or [] if backend.service != service]
        if len(remaining) == len(split.backends or []):
            raise InvalidEdit([problem("service", f"{service!r} is not a backend of {name}", "unknown-backend")])
        split.backends = remaining
        return serialize(split, version)

    return execute(actor, EditRequest("remove-backend", Action.EDIT_POLICY, _target(cluster, info, namespace,
                                                                                   name),
                                      "update", plan, f"remove backend {service}", base_resource_version, preview,
                                      force, drop_fields=drops))


# --- any SMI kind -----------------------------------------------------------------------------


def create_object(actor: Actor, cluster: Cluster, manifest: dict[str, Any], *, preview: bool = False) -> EditResult:
    """A new SMI object, written in its own version if the cluster serves it, else converted to the preferred one."""
    document = manifest if isinstance(manifest, dict) else {}
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    namespace, name = metadata.get("namespace"), metadata.get("name")
    with preparing(actor, "create", Action.EDIT_POLICY, cluster, kind=str(document.get("kind") or "")[:63],
                   namespace=namespace if isinstance(namespace, str) else "",
                   name=name if isinstance(name, str) else ""):
        info, version = _kind_and_version(manifest)
        errors = []
        if not isinstance(namespace, str) or not namespace:
            errors.append(problem("metadata.namespace", "the namespace is required", "required"))
        if not isinstance(name, str) or not name:
            errors.append(problem("metadata.name", "the name is required", "required"))
        if errors:
            raise InvalidEdit(errors)

    def plan(_current: dict[str, Any] | None, target_version: str) -> dict[str, Any]:
        return _new_object(manifest, target_version)

    return execute(actor, EditRequest("create", Action.EDIT_POLICY, _target(cluster, info, namespace, name), "create",
                                      plan, f"create {info.kind} {namespace}/{name}", None, preview, False,
                                      version_hint=version))


def update_object(actor: Actor, cluster: Cluster, kind: str, namespace: str, name: str, manifest: dict[str, Any], *,
                  base_resource_version: str | None, preview: bool = False, force: bool = False,
                  drop_fields: Sequence[str] | None = None) -> EditResult:
    """Replace an object's content (spec, labels, annotations) with the manifest's.

    Metadata the cluster owns (uid, ownerReferences, finalizers...) and `status` are kept
    from the current object; labels and annotations are replaced only when given.
    """
    with preparing(actor, "update", Action.EDIT_POLICY, cluster, kind=kind, namespace=namespace, name=name):
        info = _kind(kind)
        drops = drop_fields_given(drop_fields)
        manifest_kind, version = _kind_and_version(manifest)
        if manifest_kind is not info:
            raise InvalidEdit([problem("kind", f"this is a {info.kind}, not a {manifest_kind.kind}", "kind")])

    def plan(current: dict[str, Any] | None, target_version: str) -> dict[str, Any]:
        assert current is not None
        errors = model_errors(manifest, current)  # all at once, before conversion stops at the first
        if errors:
            raise InvalidEdit(errors)
        return merge_update(current, in_version(manifest, target_version, check=False))

    return execute(actor, EditRequest("update", Action.EDIT_POLICY, _target(cluster, info, namespace, name), "update",
                                      plan, f"update {info.kind} {namespace}/{name}", base_resource_version, preview,
                                      force, version_hint=version, drop_fields=drops))


def delete_object(actor: Actor, cluster: Cluster, kind: str, namespace: str, name: str, *,
                  base_resource_version: str | None, preview: bool = False, force: bool = False) -> EditResult:
    """Delete an object, only if it is still the one the user looked at (resourceVersion and uid)."""
    with preparing(actor, "delete", Action.EDIT_POLICY, cluster, kind=kind, namespace=namespace, name=name):
        info = _kind(kind)
    return execute(actor, EditRequest("delete", Action.EDIT_POLICY, _target(cluster, info, namespace, name), "delete",
                                      lambda _current, _version: None, f"delete {info.kind} {namespace}/{name}",
                                      base_resource_version, preview, force))


def revert_to_revision(actor: Actor, revision: Revision, *, base_resource_version: str | None,
                       preview: bool = False, force: bool = False,
                       drop_fields: Sequence[str] | None = None) -> EditResult:
    """Make the object look as it did at `revision` again (re-created if it was deleted since).

    For a deletion, the state restored is the object as it was just before it was deleted.
    The revert is an ordinary edit: authorized, guarded, validated, dry-run and audited.
    """
    state = revision.before if revision.change == ChangeType.DELETED else revision.after
    with preparing(actor, "revert", Action.EDIT_POLICY, revision.cluster, kind=revision.kind,
                   namespace=revision.namespace, name=revision.name):
        if not isinstance(state, dict):
            raise InvalidEdit([problem("revision", f"revision {revision.pk} holds no object to restore", "empty")])
        info = _kind(revision.kind)
        drops = drop_fields_given(drop_fields)
    state = copy.deepcopy(state)
    version = split_api_version(str(state.get("apiVersion") or ""))[1]

    def plan(current: dict[str, Any] | None, target_version: str) -> dict[str, Any]:
        if current is None:
            return _new_object(state, target_version, check=False)
        incoming = in_version(state, target_version, check=False)
        return merge_update(current, incoming, restore_metadata=True)

    summary = f"revert {info.kind} {revision.namespace}/{revision.name} to revision {revision.pk} " \
              f"(resourceVersion {revision.resource_version})"
    return execute(actor, EditRequest("revert", Action.EDIT_POLICY,
                                      _target(revision.cluster, info, revision.namespace, revision.name), "update",
                                      plan, summary, base_resource_version, preview, force, version_hint=version,
                                      create_if_missing=True, drop_fields=drops))


# --- helpers ----------------------------------------------------------------------------------


def merge_update(current: dict[str, Any], incoming: dict[str, Any], *, restore_metadata: bool = False
                 ) -> dict[str, Any]:
    """The current object with the incoming content: everything but metadata and status replaced.

    Labels and annotations come from `incoming` when it has them (always, for a revert);
    the rest of metadata and, unless given, `status` stay as the cluster has them.
    """
    # metadata keeps its place in the incoming order, so a preview's diff shows only real changes
    result = {key: None if key == "metadata" else copy.deepcopy(value) for key, value in incoming.items()}
    if "status" in current and "status" not in incoming:
        result["status"] = copy.deepcopy(current["status"])
    metadata = copy.deepcopy(current.get("metadata") or {})
    given = incoming.get("metadata") if isinstance(incoming.get("metadata"), dict) else {}
    for key in EDITABLE_METADATA:
        if key in given or restore_metadata:
            value = given.get(key)
            if value in (None, {}):
                metadata.pop(key, None)
            else:
                metadata[key] = copy.deepcopy(value)
    for key in ("name", "namespace"):  # a mismatch is reported by the pipeline's identity check
        if key in given:
            metadata[key] = given[key]
    result["metadata"] = metadata
    return result


def _new_object(manifest: dict[str, Any], version: str, *, check: bool = True) -> dict[str, Any]:
    document = in_version(manifest, version, check=check)
    document = copy.deepcopy(document)
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    for key in SERVER_METADATA:
        metadata.pop(key, None)
    document.pop("status", None)
    return document


def plan_weights(document: dict[str, Any], action: str, weights: Mapping[str, Fraction], locked: Sequence[str],
                 scale: int) -> dict[str, Any]:
    """The weights a quick action of the weights page leads to, and their shares, computed exactly.

    `document` is the object as stored (any kind with weighted backends); `weights` are what
    the page shows (backends it does not name keep the object's weight); nothing is written.
    Spread evenly, promote and roll back are done here so that the page only renders.
    """
    try:
        obj = parse(document)
    except (InvalidManifest, UnsupportedAPIVersion) as error:
        raise InvalidEdit([problem("", f"the object cannot be read: {error}", "invalid")]) from None
    weighted = obj.INFO.traits.weighted
    if weighted is None:
        raise ObjectNotFound([problem("kind", f"{obj.kind} has no weights", "not-weighted")])
    group = weighted.groups(obj)[0]
    services = [service or "" for service in group.services]
    unknown = sorted(set(weights) - set(services)) + sorted(set(locked) - set(services))
    if unknown:
        raise InvalidEdit([problem("weights", f"no backend {name!r} in this {obj.kind}", "unknown-backend")
                           for name in unknown])
    current = [weights.get(service, weight if weight is not None else Fraction(0))
               for service, weight in zip(services, group.weights, strict=True)]
    try:
        # Whole weights on the page's scale: what every version can write (v1alpha1 quantities
        # cannot hold 100/3 either), apportioned exactly (`rebalance`).
        new = rebalance(current, [service in locked for service in services], action, scale=scale)
        shares = effective_shares(new)
    except WeightError as error:
        raise InvalidEdit([problem("weights", str(error), "weights")]) from None
    return {"weights": dict(zip(services, new, strict=True)),
            "shares": {service: share_figures(share) for service, share in zip(services, shares, strict=True)}}


def _weighted_kind(kind: str) -> KindInfo:
    info = REGISTRY.from_url(kind)
    if info is None or not info.has("weighted"):
        raise ObjectNotFound([problem("kind", f"{kind!r} has no weighted backends", "not-weighted")])
    return info


def _split(current: dict[str, Any] | None, version: str, info: KindInfo) -> Any:
    """The current object (of a weighted kind) as its model, read as `version`."""
    assert current is not None
    try:
        split = parse(relabel(current, info, version))
    except InvalidManifest as error:
        raise InvalidEdit([problem(e.path, f"the current object cannot be edited: {e.message}", e.code)
                           for e in error.errors]) from None
    assert split.INFO is info
    return split


def _weight(value: Any, obj: Any, path: str, errors: list[dict[str, str]]) -> Fraction | None:
    """A weight in the object's units: what its shape says (integers; quantities like `500m` in split v1alpha1)."""
    version = obj.version
    if isinstance(value, bool) or value is None:
        errors.append(problem(path, "a weight is a number", "type"))
        return None
    node = node_for(obj.kind, version, "weight")
    if node is not None and node.type == "quantity":
        try:
            weight = quantity_value(value)
        except (InvalidQuantity, TypeError, ValueError):
            errors.append(problem(path, f"{value!r} is not a Kubernetes quantity (like 500m or 90)",
                                  "invalid-quantity"))
            return None
    elif isinstance(value, int):
        weight = Fraction(value)
    elif isinstance(value, float) and value.is_integer():
        weight = Fraction(int(value))
    else:
        errors.append(problem(path, f"{version} weights are integers, not {value!r}", "not-integer"))
        return None
    if weight < 0:
        errors.append(problem(path, "weights must not be negative", "weight-negative"))
        return None
    return weight


def _kind(kind: str) -> KindInfo:
    info = REGISTRY.from_url(kind)
    if info is None:
        raise ObjectNotFound([problem("kind", f"{kind!r} is not an SMI kind", "unknown-kind")])
    return info


def _kind_and_version(manifest: Any) -> tuple[KindInfo, str]:
    if not isinstance(manifest, dict):
        raise InvalidEdit([problem("manifest", "the manifest must be an object", "type")])
    errors = json_problems(manifest, "")
    if errors:
        raise InvalidEdit(errors)
    try:
        info, version = resolve(manifest)
    except InvalidManifest as error:
        raise InvalidEdit([problem(e.path, e.message, e.code) for e in error.errors]) from None
    except UnsupportedAPIVersion as error:
        path = "kind" if "defines no kind" in error.reason else "apiVersion"
        raise InvalidEdit([problem(path, str(error), "unsupported-version")]) from None
    return info, version


def _target(cluster: Cluster, info: KindInfo, namespace: str, name: str) -> Target:
    return Target(cluster, info, namespace, name)
