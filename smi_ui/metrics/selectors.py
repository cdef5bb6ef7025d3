"""Reads for pages and APIs: the figures a poller last cached, and the rolling history for sparklines.

Callers must have checked the user may view the namespace (smi_ui.accounts.permissions).
"""

from __future__ import annotations

from typing import Any

from .pollers import pollers


def cached_namespace_metrics(cluster_id: int, namespace: str) -> dict[str, Any] | None:
    """The last refresh of a watched namespace (`NamespaceMetrics.as_json()`), None when nobody watches it."""
    poller = pollers.poller(cluster_id, namespace)
    return poller.latest if poller is not None else None


def namespace_history(cluster_id: int, namespace: str, since: float = 0.0) -> list[dict[str, Any]]:
    """Points since `since` (unix time): {observedAt, resources: {name: [rps, success]}, edges: {...}}."""
    return pollers.history.points(cluster_id, namespace, since)
