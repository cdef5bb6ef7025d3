"""What changed between two refreshes, so subscribers receive only that (None = gone)."""

from __future__ import annotations

from typing import Any


def metrics_delta(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any] | None:
    """A delta between two `NamespaceMetrics.as_json()` documents; None when nothing changed.

    Without a previous document the delta is the full state (`full` True).
    """
    if previous is None:
        return {**current, "full": True}
    delta: dict[str, Any] = {"namespace": current["namespace"], "observedAt": current["observedAt"], "full": False}
    changed = False
    for scope in ("resources", "edges"):
        before, after = previous[scope], current[scope]
        part = {key: value for key, value in after.items() if before.get(key) != value}
        part.update({key: None for key in before.keys() - after.keys()})
        delta[scope] = part
        changed = changed or bool(part)
    for status in ("available", "reason", "failed", "windowSeconds"):
        delta[status] = current[status]
        changed = changed or previous[status] != current[status]
    return delta if changed else None


def delta_for_object(delta: dict[str, Any], namespace: str, name: str) -> dict[str, Any] | None:
    """The part of a delta about one workload (its figures and its edges); None when none of it is."""
    resources = {key: value for key, value in delta.get("resources", {}).items() if key == name}
    endpoint = f"{namespace}/{name}"
    edges = {key: value for key, value in delta.get("edges", {}).items()
             if key.startswith(f"{endpoint}->") or key.endswith(f"->{endpoint}")}
    if not resources and not edges and not delta.get("full") and delta.get("available", True):
        return None
    return {**delta, "resources": resources, "edges": edges}


def without_hidden_edges(delta: dict[str, Any], visible_namespaces: frozenset[str]) -> dict[str, Any]:
    """The delta without edges whose other end lies in a namespace the reader may not see."""
    def shown(label: str) -> bool:
        source, _, destination = label.partition("->")
        return source.split("/", 1)[0] in visible_namespaces and destination.split("/", 1)[0] in visible_namespaces

    edges = delta.get("edges") or {}
    if all(shown(label) for label in edges):
        return delta
    return {**delta, "edges": {label: value for label, value in edges.items() if shown(label)}}
