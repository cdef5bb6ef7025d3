"""PromQL templates per mesh, and how to read their series back into edges and workloads.

A refresh sends each template once per namespace (latency once per quantile), grouped by
labels, so the number of queries never depends on how many services or edges there are.
Templates are Python format strings with `{namespace}`, `{window}` (e.g. `30s`) and, for
latency, `{quantile}`; any of them can be replaced in settings (METRICS_PROMETHEUS_QUERIES).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

QUANTILES: tuple[tuple[str, float], ...] = (("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99))
QUERY_NAMES = ("edge_requests", "edge_latency", "workload_requests", "workload_latency")


@dataclass(frozen=True)
class Flavour:
    """One mesh's metric names and labels: the queries and the labels naming edges and workloads."""

    name: str
    queries: Mapping[str, str]
    edge_labels: tuple[str, str, str, str]  # source namespace, source, destination namespace, destination
    workload_label: str
    is_success: Callable[[Mapping[str, str]], bool] = field(compare=False)

    def with_overrides(self, overrides: Mapping[str, str] | None) -> Flavour:
        unknown = set(overrides or {}) - set(QUERY_NAMES)
        if unknown:
            raise ValueError(f"unknown query names {sorted(unknown)}; known: {', '.join(QUERY_NAMES)}")
        return replace(self, queries={**self.queries, **(overrides or {})})


LINKERD = Flavour(
    name="linkerd",
    queries={
        "edge_requests": 'sum(rate(response_total{{direction="outbound", namespace="{namespace}"}}[{window}])) '
                         "by (namespace, deployment, dst_namespace, dst_deployment, classification)",
        "edge_latency": 'histogram_quantile({quantile}, sum(rate(response_latency_ms_bucket{{direction="outbound", '
                        'namespace="{namespace}"}}[{window}])) '
                        "by (le, namespace, deployment, dst_namespace, dst_deployment))",
        "workload_requests": 'sum(rate(response_total{{direction="inbound", namespace="{namespace}"}}[{window}])) '
                             "by (deployment, classification)",
        "workload_latency": 'histogram_quantile({quantile}, sum(rate(response_latency_ms_bucket{{direction="inbound", '
                            'namespace="{namespace}"}}[{window}])) by (le, deployment))',
    },
    edge_labels=("namespace", "deployment", "dst_namespace", "dst_deployment"),
    workload_label="deployment",
    is_success=lambda labels: labels.get("classification") == "success",
)

ISTIO = Flavour(
    name="istio",
    queries={
        "edge_requests": 'sum(rate(istio_requests_total{{reporter="source", source_workload_namespace="{namespace}"}}'
                         "[{window}])) by (source_workload_namespace, source_workload, "
                         "destination_workload_namespace, destination_workload, response_code)",
        "edge_latency": "histogram_quantile({quantile}, sum(rate(istio_request_duration_milliseconds_bucket{{"
                        'reporter="source", source_workload_namespace="{namespace}"}}[{window}])) '
                        "by (le, source_workload_namespace, source_workload, destination_workload_namespace, "
                        "destination_workload))",
        "workload_requests": 'sum(rate(istio_requests_total{{reporter="destination", '
                             'destination_workload_namespace="{namespace}"}}[{window}])) '
                             "by (destination_workload, response_code)",
        "workload_latency": "histogram_quantile({quantile}, sum(rate(istio_request_duration_milliseconds_bucket{{"
                            'reporter="destination", destination_workload_namespace="{namespace}"}}[{window}])) '
                            "by (le, destination_workload))",
    },
    edge_labels=("source_workload_namespace", "source_workload", "destination_workload_namespace",
                 "destination_workload"),
    workload_label="destination_workload",
    # Denials are 403s: only 2xx and 3xx answers count as successes.
    is_success=lambda labels: labels.get("response_code", "")[:1] in ("2", "3"),
)

FLAVOURS: dict[str, Flavour] = {flavour.name: flavour for flavour in (LINKERD, ISTIO)}


def prometheus_duration(seconds: float) -> str:
    return f"{max(1, round(seconds))}s"
