"""Figures from the SMI Traffic Metrics API, read through the cluster's API server.

Values are Kubernetes quantities, usually milli-quantities (`12500m` = 12.5), so they are
parsed exactly with the quantity parser. Edges exist per workload only, so a refresh costs
one list plus one edge list per workload that received traffic.
"""

from __future__ import annotations

import time
from typing import Any

from smi_ui.kube.metrics_api import TrafficMetricsClient
from smi_ui.kube.transport import KubeApiError
from smi_ui.smi.durations import go_duration_seconds
from smi_ui.smi.quantity import InvalidQuantity, quantity_value

from ..figures import EdgeKey, Figures, NamespaceMetrics, figures_from_counts
from .base import ProviderAbsent, ProviderError

#: What the pages say for a cluster without the API (most real clusters): nothing failed.
ABSENT = ("this cluster serves no SMI metrics API (metrics.smi-spec.io/v1alpha1); configure the Prometheus "
          "provider with METRICS_PROVIDERS")

_LATENCY_UNITS_TO_MS = {"ms": 1.0, "": 1.0, "s": 1000.0, "seconds": 1000.0}


class SmiMetricsApiProvider:
    """Deployment figures and their inbound edges from `metrics.smi-spec.io/v1alpha1`."""

    def __init__(self, client: TrafficMetricsClient):
        self.client = client

    def namespace_metrics(self, namespace: str, window_seconds: float) -> NamespaceMetrics:
        result = NamespaceMetrics(namespace, window_seconds, time.time())
        try:
            listing = self.client.list(namespace, window_seconds)
            result.queries += 1
            for item in listing.get("items") or []:
                name = (item.get("resource") or {}).get("name", "")
                figures = figures_of(item, window_seconds)
                result.resources[name] = figures
                if figures.rps <= 0:
                    continue
                edges = self.client.edges(namespace, name, window_seconds)
                result.queries += 1
                for edge_item in edges.get("items") or []:
                    edge = edge_item.get("edge") or {}
                    peer = edge.get("resource") or {}
                    if edge.get("direction") != "from" or not peer.get("name"):
                        continue  # `to` edges are the peer's `from` edges, read with the peer
                    key = EdgeKey(peer.get("namespace") or namespace, peer["name"], namespace, name)
                    result.edges[key] = figures_of(edge_item, window_seconds)
        except KubeApiError as error:
            if error.status == 404 and self._absent():
                raise ProviderAbsent(ABSENT) from error
            raise ProviderError(f"SMI metrics API: {error}") from error
        except (InvalidQuantity, KeyError, TypeError, ValueError, AttributeError) as error:
            raise ProviderError(f"SMI metrics API sent an unreadable document: {error}") from error
        return result

    def _absent(self) -> bool:
        """Whether a 404 means the API is not served at all (rather than a path of it not found)."""
        try:
            return not self.client.served()
        except KubeApiError:
            return False


def figures_of(item: dict[str, Any], requested_window: float) -> Figures:
    """Figures of one TrafficMetrics item; counts are per the item's own `window` when it states one."""
    values: dict[str, float] = {}
    for metric in item.get("metrics") or []:
        value = float(quantity_value(metric["value"]))
        if metric["name"].endswith("_response_latency"):
            value *= _LATENCY_UNITS_TO_MS.get(metric.get("unit") or "", 1.0)
        values[metric["name"]] = value
    window = window_seconds(item.get("window")) or requested_window
    return figures_from_counts(values.get("success_count", 0.0), values.get("failure_count", 0.0), window,
                               values.get("p50_response_latency"), values.get("p90_response_latency"),
                               values.get("p99_response_latency"))


def window_seconds(text: str | None) -> float | None:
    """An item's window in seconds (a Go duration), or None when absent or unreadable."""
    return go_duration_seconds(text)
