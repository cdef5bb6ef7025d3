"""Audit entries for changes to who may do what: grants, tokens, logins and lockouts."""

from __future__ import annotations

from smi_ui.audit.models import Outcome
from smi_ui.audit.services import Attempt, record_attempt


def record_access_change(action: str, kind: str, summary: str, *, outcome: str = Outcome.SUCCEEDED,
                         message: str = "", errors: list[dict[str, str]] | None = None, name: str = "") -> None:
    """One audit entry for an access change (or a refused one), attributed from the request context."""
    record_attempt(Attempt(action=action, kind=kind, summary=summary, name=name), outcome=outcome, message=message,
                   errors=errors)
