"""Reading the SMI Traffic Metrics API (`metrics.smi-spec.io/v1alpha1`) through a cluster's API server.

It is an aggregated API (not a CRD), read-only; documents are returned as the server sent
them and interpreted by smi_ui.metrics.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .transport import ApiTransport, KubeApiError

METRICS_API = "/apis/metrics.smi-spec.io/v1alpha1"


def go_duration(seconds: float) -> str:
    """The `t` query parameter: a Go duration in whole seconds (smi-metrics reads `30s`, `1m`...)."""
    return f"{max(1, round(seconds))}s"


class TrafficMetricsClient:
    """GETs TrafficMetrics and TrafficMetricsLists of one kind of workload in a namespace."""

    def __init__(self, transport: ApiTransport, resource: str = "deployments"):
        self.transport = transport
        self.resource = resource

    def served(self) -> bool:
        """Whether the cluster serves the API at all: its discovery document answers 404 when it does not."""
        try:
            self.transport.get_json(METRICS_API)
        except KubeApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    def list(self, namespace: str, window_seconds: float) -> dict[str, Any]:
        """A TrafficMetricsList with one item per workload: what each received in the window."""
        return self.transport.get_json(f"{METRICS_API}/namespaces/{quote(namespace)}/{self.resource}",
                                       t=go_duration(window_seconds))

    def edges(self, namespace: str, name: str, window_seconds: float) -> dict[str, Any]:
        """A TrafficMetricsList of the workload's edges (`from` callers, `to` callees)."""
        return self.transport.get_json(
            f"{METRICS_API}/namespaces/{quote(namespace)}/{self.resource}/{quote(name)}/edges",
            t=go_duration(window_seconds))
