"""Why an edit did not happen, as values the API turns into `{"errors": [...]}` with a status.

Each error carries its HTTP status, a list of `{path, message, code}` problems and, for
conflicts, the object as the cluster now has it, so a client can show what changed.
"""

from __future__ import annotations

from typing import Any

from smi_ui.audit.models import Outcome


def problem(path: str, message: str, code: str) -> dict[str, str]:
    return {"path": path, "message": message, "code": code}


class ChangeError(Exception):
    """Base of every refused or failed edit."""

    status = 400
    outcome = Outcome.REJECTED

    def __init__(self, errors: list[dict[str, str]], *, current: dict[str, Any] | None = None,
                 detail: dict[str, Any] | None = None):
        self.errors = errors
        self.current = current
        self.detail = detail or {}
        super().__init__("; ".join(f"{e['path'] or '<root>'}: {e['message']}" for e in errors))

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


class ClusterUnavailable(ChangeError):
    """The cluster could not be reached or failed; the edit may be retried."""

    status = 502
    outcome = Outcome.FAILED
