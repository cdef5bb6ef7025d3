"""Is the object managed by a controller that would revert our edit?

Flagger and Argo Rollouts rewrite the TrafficSplits of canaries they run, many times a
minute; an edit from the dashboard would be undone at the next step, or fight the
rollout. We recognise them by ownerReferences (any controller) and by their markers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
KNOWN_MANAGERS = {"flagger": "Flagger", "argo-rollouts": "Argo Rollouts", "rollouts-controller": "Argo Rollouts"}
MARKER_DOMAINS = {"flagger.app": "Flagger", "rollouts.argoproj.io": "Argo Rollouts"}


@dataclass(frozen=True)
class Controller:
    """Who manages the object, and how we know."""

    name: str  # "Flagger", "Argo Rollouts", or the owner's kind
    owner: str  # "Canary/podinfo", or the marker found
    evidence: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def explanation(self) -> str:
        return (f"managed by {self.name} ({self.evidence}); the controller would revert this edit. "
                "Change it through the controller, or repeat with force=true if you may force edits.")


def controller_of(document: dict[str, Any]) -> Controller | None:
    """The controller managing this object, or None when nothing claims it."""
    metadata = document.get("metadata") or {}
    for reference in metadata.get("ownerReferences") or []:
        if not isinstance(reference, dict):
            continue
        api_version = str(reference.get("apiVersion") or "")
        kind = str(reference.get("kind") or "?")
        name = str(reference.get("name") or "?")
        label = _controller_from_group(api_version) or kind
        role = "controller owner" if reference.get("controller") else "owner"
        return Controller(label, f"{kind}/{name}", f"{role} {kind} {name} ({api_version})")
    for where in ("labels", "annotations"):
        for key, value in (metadata.get(where) or {}).items():
            domain = key.split("/", 1)[0] if "/" in key else ""
            for marker, label in MARKER_DOMAINS.items():
                if domain == marker or domain.endswith("." + marker):
                    return Controller(label, f"{key}={value}", f"{where[:-1]} {key}={value}")
    managed_by = str((metadata.get("labels") or {}).get(MANAGED_BY_LABEL) or "")
    if managed_by.lower() in KNOWN_MANAGERS:
        return Controller(KNOWN_MANAGERS[managed_by.lower()], managed_by, f"label {MANAGED_BY_LABEL}={managed_by}")
    return None


def _controller_from_group(api_version: str) -> str | None:
    group = api_version.split("/", 1)[0]
    for marker, label in MARKER_DOMAINS.items():
        if group == marker or group.endswith("." + marker):
            return label
    if group == "argoproj.io":
        return "Argo Rollouts"
    return None
