"""The steps every edit goes through, in this order, whatever the kind and whoever asks.

1. authorize (not visible: 404; visible but not allowed: 403);
2. read the object from the cluster in its own version (the cluster is the truth);
3. compare with the edit's base resourceVersion (409 with the current object);
4. ownership guard (409 unless forced by someone allowed to force);
5. build the new object and validate it with the SMI model (400, nothing sent);
6. ask the cluster with `dryRun=All` (422 with the cluster's causes);
7. preview stops here; otherwise write with the resourceVersion, store the response at
   once in the inventory (named after its author, even when sync stored its echo first)
   and tell live subscribers.

Every attempt, whatever its outcome, appends one audit entry.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from smi_ui.accounts.roles import Action
from smi_ui.audit.models import Outcome
from smi_ui.audit.services import Attempt, record_attempt
from smi_ui.clusters.models import Cluster
from smi_ui.clusters.sync import access_for
from smi_ui.inventory import services as inventory
from smi_ui.inventory.models import KubeObject
from smi_ui.kube.resources import smi_resource
from smi_ui.kube.transport import KubeApiError
from smi_ui.kube.writer import Impersonation, ObjectWriter, writer_for
from smi_ui.live.broadcast import publish_change
from smi_ui.smi import InvalidManifest, UnsupportedAPIVersion, parse, validate_manifest
from smi_ui.smi.kinds import REGISTRY, KindInfo, split_api_version
from smi_ui.smi.shares import WeightError, weighted_shares

from .actors import Actor
from .diff import for_display, to_yaml, unified_diff
from .errors import (
    ChangeError,
    ClusterForbidden,
    ClusterRejected,
    ClusterUnavailable,
    ControllerOwned,
    EditConflict,
    EditDenied,
    InvalidEdit,
    ObjectNotFound,
    distinct,
    problem,
)
from .ownership import controller_of
from .versions import ServedVersions, check_fields, own_version, refresh_served, served_versions

Verb = Literal["create", "update", "delete"]
#: Builds the desired object from the current one (None when creating), in `version`.
Plan = Callable[[dict[str, Any] | None, str], dict[str, Any] | None]


@dataclass
class Target:
    cluster: Cluster
    info: KindInfo
    namespace: str
    name: str


@dataclass
class EditRequest:
    """One edit, described for the pipeline by the service that understands it."""

    action: str
    permission: Action
    target: Target
    verb: Verb
    plan: Plan
    summary: str
    base_resource_version: str | None = None
    preview: bool = False
    force: bool = False
    version_hint: str | None = None  # write in this version when the cluster serves it
    create_if_missing: bool = False  # revert of a deleted object
    drop_fields: tuple[str, ...] = ()  # fields the user agrees the write may lose (see versions.check_fields)


@dataclass
class Verdict:
    """The cluster's answer to the dry run."""

    accepted: bool
    status: int = 200
    message: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class EditResult:
    """What an edit did (or, previewed, would do)."""

    action: str
    dry_run: bool
    api_version: str
    object: dict[str, Any] | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    verdict: Verdict
    forced: bool = False
    audit_id: int | None = None
    lost_fields: list[dict[str, str]] = field(default_factory=list)  # fields the write loses (or would)

    @property
    def diff(self) -> str:
        return unified_diff(self.before, self.after, name=self.object_label)

    @property
    def before_yaml(self) -> str:
        return to_yaml(for_display(self.before))

    @property
    def after_yaml(self) -> str:
        return to_yaml(for_display(self.after))

    @property
    def shares(self) -> dict[str, dict[str, Any]] | None:
        return shares_of(self.object if self.object is not None else self.after)

    @property
    def object_label(self) -> str:
        document = self.after or self.before or {}
        metadata = document.get("metadata") or {}
        return f"{document.get('kind', 'object')} {metadata.get('namespace', '')}/{metadata.get('name', '')}"


def execute(actor: Actor, request: EditRequest) -> EditResult:
    """Run one edit through every step; the outcome is audited whether it succeeds or not."""
    target = request.target
    attempt = Attempt(
        action=request.action, cluster_id=target.cluster.pk, cluster_name=target.cluster.name,
        kind=target.info.kind, namespace=clipped(target.namespace, 253), name=clipped(target.name, 253),
        base_resource_version=clipped(request.base_resource_version or "", 64), dry_run=request.preview,
        summary=request.summary,
    )
    with actor.attributed():
        try:
            result = _run(actor, request, attempt)
        except ChangeError as error:
            entry = record_attempt(attempt, outcome=error.outcome, message=error.message, errors=error.errors)
            error.detail.setdefault("audit_id", entry.pk)
            raise
        except Exception as error:
            record_attempt(attempt, outcome=Outcome.FAILED, message=f"internal error: {type(error).__name__}")
            raise
        outcome = Outcome.SUCCEEDED if result.verdict.accepted else Outcome.REJECTED
        written = result.object or {}
        stored_version = (written.get("metadata") or {}).get("resourceVersion", "")
        entry = record_attempt(attempt, outcome=outcome, message=outcome_message(result, stored_version),
                               errors=result.verdict.errors, resource_version=stored_version)
        result.audit_id = entry.pk
        return result


def outcome_message(result: EditResult, stored_version: str) -> str:
    """What the audit log says happened: a preview's verdict, or what the cluster stored."""
    if result.dry_run or not result.verdict.accepted:
        return result.verdict.message
    if result.action == "delete":
        return "deleted by the cluster (after its dry run accepted the deletion)"
    return f"written: the cluster stored resourceVersion {stored_version} (after its dry run accepted the change)"


@contextlib.contextmanager
def preparing(actor: Actor, action: str, permission: Action, cluster: Cluster | str, *, kind: str = "",
              namespace: str = "", name: str = "") -> Iterator[None]:
    """Checks made before an edit can be described (its input, its kind) are audited attempts too.

    Someone who holds the permission nowhere is refused first, before their input is read.
    `cluster` is a name alone while no visible cluster is known (the address is being read,
    or names none the user may see: the caller refuses with 404, as for a missing object).
    Values too long for the audit log are recorded cut short and marked.
    """
    with actor.attributed():
        try:
            if isinstance(cluster, Cluster) and not actor.may_anywhere(permission):
                raise EditDenied([problem("", f"your roles do not allow {action} anywhere", "permission-denied")])
            yield
        except ChangeError as error:
            if "audit_id" not in error.detail:
                known = isinstance(cluster, Cluster)
                attempt = Attempt(action=action, cluster_id=cluster.pk if known else None,
                                  cluster_name=clipped(cluster.name if known else cluster, 63), kind=clipped(kind, 63),
                                  namespace=clipped(namespace, 253), name=clipped(name, 253))
                entry = record_attempt(attempt, outcome=error.outcome, message=error.message, errors=error.errors)
                error.detail["audit_id"] = entry.pk
            raise


def _run(actor: Actor, request: EditRequest, attempt: Attempt) -> EditResult:
    target = request.target
    authorize(actor, request.permission, request.action, target)
    writer = writer_for(access_for(target.cluster), impersonation=actor.impersonation())
    served = _call(lambda: served_versions(target.cluster, target.info, writer.transport))
    verb = request.verb
    current: dict[str, Any] | None = None
    if verb == "create":
        version = request.version_hint if request.version_hint in served.versions else served.preferred
    else:
        if request.base_resource_version is None:
            raise InvalidEdit([problem("base_resource_version", "name the resourceVersion this edit is based on",
                                       "required")])
        try:
            current, version, served = _read_current_during_switch(writer, target, served, request.version_hint)
        except ObjectNotFound:
            if not request.create_if_missing:
                raise
            verb, version = "create", (request.version_hint if request.version_hint in served.versions
                                       else served.preferred)
    attempt.api_version = target.info.api_version(version)
    if current is not None:
        attempt.before = _for_audit(current)
        if _resource_version(current) != request.base_resource_version:
            raise EditConflict([problem("base_resource_version",
                                        f"the object is now at resourceVersion {_resource_version(current)}, "
                                        f"not {request.base_resource_version}; review the current object and retry",
                                        "conflict")], current=current)
        attempt.forced = _guard_ownership(actor, request, current)
    desired = request.plan(current, version)
    if desired is not None:
        _check_identity(desired, target, creating=verb == "create")
        errors = model_errors(desired, current)
        attempt.after = _for_audit(desired)
        if errors:
            raise InvalidEdit(errors)
    shown, lost = _held_fields(writer, request, attempt, verb, current, desired, version, served)
    resource = smi_resource(target.info, version)
    verdict, dry = _dry_run(writer, verb, resource, target, desired, current)
    if not verdict.accepted and not request.preview:
        raise ClusterRejected(verdict.errors or [problem("", verdict.message, "rejected")], current=current)
    if request.preview:
        return EditResult(request.action, True, attempt.api_version, dry if verdict.accepted else None, shown,
                          desired, verdict, forced=attempt.forced, lost_fields=lost)
    written = _write(writer, verb, resource, target, desired, current)
    _store(actor, target, verb, written, current)
    attempt.after = _for_audit(written) if verb != "delete" else None
    return EditResult(request.action, False, attempt.api_version, written if verb != "delete" else None, shown,
                      desired, verdict, forced=attempt.forced, lost_fields=lost)


def clipped(value: str, limit: int) -> str:
    """`value` cut to `limit` characters for the audit log, visibly marked (with its length) when cut."""
    if len(value) <= limit:
        return value
    mark = f"…({len(value)} chars)"
    return value[: limit - len(mark)] + mark


def authorize(actor: Actor, permission: Action, action: str, target: Target) -> None:
    """Not visible: 404 (like a missing object); visible but not allowed: 403."""
    where = {"cluster_id": target.cluster.pk, "namespace": target.namespace}
    if not actor.may(Action.VIEW, **where):
        raise ObjectNotFound([problem("", f"no {target.info.kind} {target.namespace}/{target.name} in cluster "
                                          f"{target.cluster.name} that you may see", "not-found")])
    if not actor.may(permission, kind=target.info.kind, **where):
        raise EditDenied([problem("", f"your roles do not allow {action} on {target.info.kind} in "
                                      f"{target.cluster.name}/{target.namespace}", "permission-denied")])



def _read_current_during_switch(writer: ObjectWriter, target: Target, served: ServedVersions, hint: str | None
                                ) -> tuple[dict[str, Any], str, ServedVersions]:
    """As `_read_current`; a 404 may come from a CRD that just switched versions: discovery is read
    again and, when it changed, the read is retried once in what the cluster serves now."""
    try:
        return (*_read_current(writer, target, served, hint), served)
    except ObjectNotFound:
        fresh = _call(lambda: refresh_served(target.cluster, target.info, writer.transport))
        if fresh is None or fresh == served:
            raise
    try:
        return (*_read_current(writer, target, fresh, hint), fresh)
    except ObjectNotFound:
        known = KubeObject.objects.filter(cluster=target.cluster, kind=target.info.kind, namespace=target.namespace,
                                          name=target.name).exists()
        if not known:
            raise
    # A real API server answers 404 for a moment while it sets up a version it has just started serving.
    raise ClusterUnavailable([problem("", f"cluster {target.cluster.name} has just switched {target.info.kind} to "
                                          f"{', '.join(fresh.versions)} and does not show {target.namespace}/"
                                          f"{target.name} in it yet; retry in a few seconds", "version-switching")])


def _held_fields(writer: ObjectWriter, request: EditRequest, attempt: Attempt, verb: Verb,
                 current: dict[str, Any] | None, desired: dict[str, Any] | None, version: str,
                 served: ServedVersions) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """The object as the diff should show it, and the fields the write loses (refused unless dropped)."""
    if verb != "update" or current is None:
        return current, []
    target = request.target
    views = []
    for other in served.versions:
        if other != version:
            with contextlib.suppress(ObjectNotFound):
                views.append(_get(writer, target, other))
    check = check_fields(target.cluster, target.info, current, desired, version, views, drop=request.drop_fields)
    if not check.lost:
        return current, []
    attempt.before = _for_audit(check.before)  # the audit keeps what the object held, refused or not
    if not request.preview:
        check.refuse_undropped()
    paths = ", ".join(field.path for field in check.lost)
    attempt.summary += f"; {'would drop' if request.preview else 'drops'} {paths} (not in {version})"
    return check.before, [field.as_dict() for field in check.lost]


def _read_current(writer: ObjectWriter, target: Target, served: ServedVersions,
                  hint: str | None) -> tuple[dict[str, Any], str]:
    """The object as the cluster has it now, read in the version the edit will be written in."""
    if hint in served.versions:
        return _get(writer, target, hint), hint
    stored = KubeObject.objects.filter(cluster=target.cluster, kind=target.info.kind, namespace=target.namespace,
                                       name=target.name).values_list("api_version", flat=True).first()
    first = split_api_version(stored or "")[1]
    first = first if first in served.versions else served.preferred
    document = _get(writer, target, first)
    version = own_version(document, target.info, served)
    if version != first:
        document = _get(writer, target, version)
    return document, version


def _get(writer: ObjectWriter, target: Target, version: str) -> dict[str, Any]:
    resource = smi_resource(target.info, version)
    return _call(lambda: writer.get(resource, target.namespace, target.name), target=target,
                 impersonation=writer.impersonation)


def _guard_ownership(actor: Actor, request: EditRequest, current: dict[str, Any]) -> bool:
    """True when the edit overrides a controller (forced); refuses unless forced by someone allowed to."""
    controller = controller_of(current)
    if controller is None:
        return False
    detail = {"controller": controller.as_dict()}
    if not request.force:
        raise ControllerOwned([problem("metadata", controller.explanation(), "managed-by-controller")],
                              current=current, detail=detail)
    target = request.target
    if not actor.may(Action.FORCE, cluster_id=target.cluster.pk, namespace=target.namespace, kind=target.info.kind):
        raise EditDenied([problem("force", f"{controller.explanation()} Your roles do not allow forcing it.",
                                  "force-not-allowed")], detail=detail)
    return True


def _check_identity(desired: dict[str, Any], target: Target, *, creating: bool) -> None:
    metadata = desired.get("metadata") if isinstance(desired.get("metadata"), dict) else {}
    errors = []
    if desired.get("kind") != target.info.kind:
        errors.append(problem("kind", f"this endpoint edits {target.info.kind}, not {desired.get('kind')!r}", "kind"))
    for key, wanted in (("name", target.name), ("namespace", target.namespace)):
        if metadata.get(key) != wanted and not (creating and key == "name"):
            errors.append(problem(f"metadata.{key}", f"must be {wanted!r} (the object being edited), "
                                                     f"not {metadata.get(key)!r}", "mismatch"))
    if errors:
        raise InvalidEdit(errors)


def model_errors(desired: dict[str, Any], current: dict[str, Any] | None) -> list[dict[str, str]]:
    """Problems the SMI model finds in the new object that the current one did not already have.

    Problems an object already has (a field no CRD declares, a name the spec dislikes) are not
    the edit's fault and must not block, say, a weight change; everything the edit introduces does.
    """
    found = validate_manifest(desired)
    if current is not None:
        existing = {(error.path, error.code) for error in validate_manifest(current)}
        found = [error for error in found if (error.path, error.code) not in existing]
    return [problem(error.path, error.message, error.code) for error in found]


def _dry_run(writer: ObjectWriter, verb: Verb, resource: Any, target: Target, desired: dict[str, Any] | None,
             current: dict[str, Any] | None) -> tuple[Verdict, dict[str, Any] | None]:
    try:
        response = _send(writer, verb, resource, target, desired, current, dry_run=True)
    except KubeApiError as error:
        if error.status in (400, 422):
            return Verdict(False, error.status, error.message, _causes(error)), None
        if error.status == 404 and verb == "create":  # the namespace does not exist
            return Verdict(False, 404, error.message, [problem("metadata.namespace", error.message, "not-found")]), None
        raise _cluster_error(error, writer, target, resource.version) from None
    return Verdict(True, 200, "the cluster accepts the change (dry run)"), response


def _write(writer: ObjectWriter, verb: Verb, resource: Any, target: Target, desired: dict[str, Any] | None,
           current: dict[str, Any] | None) -> dict[str, Any]:
    try:
        return _send(writer, verb, resource, target, desired, current, dry_run=False)
    except KubeApiError as error:
        if error.status in (400, 422):
            raise ClusterRejected(_causes(error) or [problem("", error.message, "rejected")], current=current) from None
        raise _cluster_error(error, writer, target, resource.version) from None


def _send(writer: ObjectWriter, verb: Verb, resource: Any, target: Target, desired: dict[str, Any] | None,
          current: dict[str, Any] | None, *, dry_run: bool) -> dict[str, Any]:
    if verb == "create":
        assert desired is not None
        return writer.create(resource, target.namespace, desired, dry_run=dry_run)
    assert current is not None
    if verb == "delete":
        metadata = current.get("metadata") or {}
        return writer.delete(resource, target.namespace, target.name, resource_version=metadata.get("resourceVersion"),
                             uid=metadata.get("uid"), dry_run=dry_run)
    assert desired is not None
    return writer.update(resource, target.namespace, target.name, desired,
                         resource_version=_resource_version(current), dry_run=dry_run)


def _store(actor: Actor, target: Target, verb: Verb, written: dict[str, Any], current: dict[str, Any] | None) -> None:
    """Store the cluster's answer now, with its author, whether or not the watch echo was stored first."""
    final = written if verb != "delete" or written.get("kind") == target.info.kind else current or {}
    for change in inventory.store_write(target.cluster.pk, final, base=current, deleted=verb == "delete",
                                        source=actor.revision_source, actor=actor.name):
        publish_change(change.cluster_id, change.kind, change.namespace, change.name, change.resource_version,
                       change.change)


def _cluster_error(error: KubeApiError, writer: ObjectWriter, target: Target, version: str) -> ChangeError:
    message = f"cluster {target.cluster.name}: {error.message}"
    if error.status == 409:
        try:
            current: dict[str, Any] | None = writer.get(smi_resource(target.info, version), target.namespace,
                                                        target.name)
        except KubeApiError:
            current = None
        code = "already-exists" if error.reason == "AlreadyExists" else "conflict"
        return EditConflict([problem("base_resource_version" if code == "conflict" else "metadata.name", message,
                                     code)], current=current)
    if error.status == 404:
        return ObjectNotFound([problem("", message, "not-found")])
    if error.status == 403:
        return ClusterForbidden.refused(message, writer.impersonation)
    return ClusterUnavailable([problem("", message, f"cluster-{error.status or 'unreachable'}")])


def _call(function: Callable[[], Any], *, target: Target | None = None,
          impersonation: Impersonation | None = None) -> Any:
    try:
        return function()
    except KubeApiError as error:
        if target is not None and error.status == 404:
            raise ObjectNotFound([problem("", f"no {target.info.kind} {target.namespace}/{target.name} in cluster "
                                              f"{target.cluster.name}", "not-found")]) from None
        if error.status == 403:
            raise ClusterForbidden.refused(f"the cluster refused: {error.message}", impersonation) from None
        raise ClusterUnavailable([problem("", f"the cluster could not answer: {error}",
                                          f"cluster-{error.status or 'unreachable'}")]) from None


def _causes(error: KubeApiError) -> list[dict[str, str]]:
    """The cluster's field causes (`details.causes`), as our error items."""
    details = (error.body or {}).get("details") or {}
    causes = [
        problem(str(cause.get("field") or ""), str(cause.get("message") or error.message),
                str(cause.get("reason") or "invalid"))
        for cause in details.get("causes") or [] if isinstance(cause, dict)
    ]
    return distinct(causes) or [problem("", error.message, error.reason or "rejected")]


def _resource_version(document: dict[str, Any]) -> str:
    return str((document.get("metadata") or {}).get("resourceVersion") or "")


def _for_audit(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """The document without managedFields: the audit keeps what changed, not field bookkeeping."""
    if document is None:
        return None
    copied = copy.deepcopy(document)
    if isinstance(copied.get("metadata"), dict):
        copied["metadata"].pop("managedFields", None)
    return copied


def shares_of(document: dict[str, Any] | None) -> dict[str, dict[str, Any]] | None:
    """Effective shares of a document of a weighted kind ({service: {exact, percent}}); None for other kinds."""
    if not document or not REGISTRY.has_trait(document.get("kind"), "weighted"):
        return None
    try:
        weighted = parse(document)
        shares = weighted_shares(weighted) if weighted.INFO.has("weighted") else {}
    except (InvalidManifest, UnsupportedAPIVersion, WeightError):
        return {}
    return {service: share_figures(share) for service, share in shares.items()}


def share_figures(share: Fraction) -> dict[str, Any]:
    """A share as the API shows it: exact (`\"1/3\"`) and as a percentage rounded for reading."""
    return {"exact": str(share), "percent": round(float(share) * 100, 2)}
