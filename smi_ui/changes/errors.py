"""Why an edit did not happen, as values the API turns into `{"errors": [...]}` with a status.

Each error carries its HTTP status, a list of `{path, message, code}` problems and, for
conflicts, the object as the cluster now has it, so a client can show what changed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from smi_ui.audit.models import Outcome

if TYPE_CHECKING:
    from smi_ui.kube.writer import Impersonation


def problem(path: str, message: str, code: str) -> dict[str, str]:
    return {"path": path, "message": message, "code": code}


def distinct(problems: list[dict[str, str]]) -> list[dict[str, str]]:
    """Each problem once, in first-seen order: an API server repeats a cause once per check that failed."""
    return list({(p.get("path"), p.get("message"), p.get("code")): p for p in problems}.values())


class ChangeError(Exception):
    """Base of every refused or failed edit."""

    status = 400
    outcome = Outcome.REJECTED

    def __init__(self, errors: list[dict[str, str]], *, current: dict[str, Any] | None = None,
                 detail: dict[str, Any] | None = None):
        self.errors = distinct(errors)
        self.current = current
        self.detail = detail or {}
        super().__init__("; ".join(f"{e['path'] or '<root>'}: {e['message']}" for e in self.errors))

    @property
    def message(self) -> str:
        return str(self)


class InvalidEdit(ChangeError):
    """The request or the resulting object is invalid; nothing was sent to the cluster."""

    status = 400


class EditDenied(ChangeError):
    """The user may see the object but not make this change (or may not force)."""

    status = 403
    outcome = Outcome.DENIED


class ObjectNotFound(ChangeError):
    """No such object, or one the user may not see (the two are not told apart)."""

    status = 404
    outcome = Outcome.DENIED


class EditConflict(ChangeError):
    """The object changed since the edit's base resourceVersion (or already exists); `current` shows it."""

    status = 409
    outcome = Outcome.CONFLICT


class ControllerOwned(ChangeError):
    """A controller manages the object and would undo the edit; only a forced edit goes through."""

    status = 409
    outcome = Outcome.REJECTED


class ClusterRejected(ChangeError):
    """The cluster refused the object (schema, admission, strict decoding); its causes are the errors."""

    status = 422
    outcome = Outcome.REJECTED


class ClusterForbidden(ChangeError):
    """The cluster's own RBAC refused the write (when writing as the dashboard user)."""

    status = 403
    outcome = Outcome.DENIED

    @classmethod
    def refused(cls, message: str, impersonation: Impersonation | None) -> ClusterForbidden:
        """The cluster's 403, followed, when the write impersonated a dashboard user, by what to grant whom."""
        return cls([problem("", message + what_to_grant(message, impersonation), "cluster-forbidden")])


#: RBAC's wording of a denial: `User "bob" cannot update resource "trafficsplits" in API group "x" ...`.
RBAC_DENIAL = re.compile(r'User "(?P<user>[^"]*)" cannot (?P<verb>[a-z]+) resource "(?P<resource>[^"/]+)[^"]*" '
                         r'in API group "(?P<group>[^"]*)"(?: in the namespace "(?P<namespace>[^"]+)")?')
#: The verbs an edit by the dashboard may use on the edited kind (read, create, update, delete).
EDIT_VERBS = "get,create,update,patch,delete"


def what_to_grant(message: str, impersonation: Impersonation | None) -> str:
    """Advice naming the RBAC that would let the impersonated write through ("" when not impersonating)."""
    if impersonation is None:
        return ""
    groups = (f"groups {', '.join(impersonation.groups)}" if impersonation.groups
              else "no groups (the cluster adds only system:authenticated)")
    sent = (f' Writes are sent as the dashboard user (WRITE_AS_DASHBOARD_USER=true): Impersonate-User '
            f'"{impersonation.user}" with {groups}.')
    denial = RBAC_DENIAL.search(message)
    if denial is None:
        return (f"{sent} The cluster's RBAC must allow that user, or one of those groups, {EDIT_VERBS} on the "
                "SMI resources being edited.")
    if denial["verb"] == "impersonate":
        return (f"{sent} The dashboard's own account ({denial['user']}) may not impersonate them: grant it "
                "`impersonate` on users and groups (the deploy/overlays/impersonation overlay does).")
    resource = f"{denial['resource']}.{denial['group']}" if denial["group"] else denial["resource"]
    namespace = denial["namespace"]
    role, scope = ("role", f" -n {namespace}") if namespace else ("clusterrole", "")
    name = f"smi-ui-edit-{denial['resource']}"
    return (f'{sent} Grant user "{impersonation.user}" (or one of those groups) {EDIT_VERBS} on {resource}'
            f'{f" in namespace {namespace}" if namespace else ""}, e.g. `kubectl create {role} {name}{scope} '
            f"--verb={EDIT_VERBS} --resource={resource}` and `kubectl create {role}binding {name}{scope} "
            f"--{role}={name} --user={impersonation.user}`.")


class ClusterUnavailable(ChangeError):
    """The cluster could not be reached or failed; the edit may be retried."""

    status = 502
    outcome = Outcome.FAILED
