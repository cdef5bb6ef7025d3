"""Figures from a Prometheus server, with one grouped query per metric per namespace.

Eight instant queries per refresh (requests and three latency quantiles, for edges and for
workloads), whatever the size of the mesh: the grouping labels, not the caller, fan out.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from ..figures import EdgeKey, Figures, NamespaceMetrics
from .base import ProviderError
from .promql import QUANTILES, Flavour, prometheus_duration

Sample = tuple[dict[str, str], float]


class PrometheusClient:
    """Instant queries over Prometheus's HTTP API; counts what it sends (the query budget is a contract)."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.queries_sent = 0

    def query(self, promql: str) -> list[Sample]:
        self.queries_sent += 1
        body = urllib.parse.urlencode({"query": promql}).encode()
        request = urllib.request.Request(f"{self.url}/api/v1/query", data=body, method="POST",  # noqa: S310
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  (configured URL)
                document: dict[str, Any] = json.load(response)
        except urllib.error.HTTPError as error:
            raise ProviderError(f"Prometheus answered {error.code}: {_error_text(error)}") from error
        except (OSError, ValueError) as error:
            raise ProviderError(f"Prometheus at {self.url} is unreachable: {error}") from error
        if document.get("status") != "success":
            raise ProviderError(f"Prometheus query failed: {document.get('error', document)}")
        data = document.get("data") or {}
        if data.get("resultType") != "vector":
            raise ProviderError(f"expected an instant vector, got {data.get('resultType')}")
        return [(series.get("metric") or {}, float(series["value"][1])) for series in data.get("result") or []]


def _error_text(error: urllib.error.HTTPError) -> str:
    try:
        return json.loads(error.read()).get("error", "")
    except (ValueError, OSError):
        return error.reason


class PrometheusProvider:
    """Edges and workloads of a namespace from a mesh's Prometheus metrics (see promql.Flavour)."""

    def __init__(self, client: PrometheusClient, flavour: Flavour):
        self.client = client
        self.flavour = flavour

    def namespace_metrics(self, namespace: str, window_seconds: float) -> NamespaceMetrics:
        sent_before = self.client.queries_sent
        result = NamespaceMetrics(namespace, window_seconds, time.time())
        window = prometheus_duration(window_seconds)
        edges = self._requests("edge_requests", namespace, window, self._edge_key)
        workloads = self._requests("workload_requests", namespace, window, self._workload_key)
        edge_latency = self._latencies("edge_latency", namespace, window, self._edge_key)
        workload_latency = self._latencies("workload_latency", namespace, window, self._workload_key)
        result.edges = _combine(edges, edge_latency)
        result.resources = _combine(workloads, workload_latency)
        result.queries = self.client.queries_sent - sent_before
        return result

    def _query(self, name: str, namespace: str, window: str, quantile: float | None = None) -> list[Sample]:
        promql = self.flavour.queries[name].format(namespace=_escape(namespace), window=window, quantile=quantile)
        return self.client.query(promql)

    def _requests(self, name: str, namespace: str, window: str, key_of: Any) -> dict[Any, tuple[float, float]]:
        """key -> (successes per second, failures per second)."""
        rates: dict[Any, tuple[float, float]] = {}
        for labels, value in self._query(name, namespace, window):
            key = key_of(labels)
            if key is None or not math.isfinite(value):
                continue
            success, failure = rates.get(key, (0.0, 0.0))
            if self.flavour.is_success(labels):
                success += value
            else:
                failure += value
            rates[key] = (success, failure)
        return rates

    def _latencies(self, name: str, namespace: str, window: str, key_of: Any) -> dict[Any, dict[str, float]]:
        latencies: dict[Any, dict[str, float]] = {}
        for field_name, quantile in QUANTILES:
            for labels, value in self._query(name, namespace, window, quantile):
                key = key_of(labels)
                if key is not None and math.isfinite(value):
                    latencies.setdefault(key, {})[field_name] = value
        return latencies

    def _edge_key(self, labels: Mapping[str, str]) -> EdgeKey | None:
        values = [labels.get(label, "") for label in self.flavour.edge_labels]
        return EdgeKey(*values) if all(values) else None

    def _workload_key(self, labels: Mapping[str, str]) -> str | None:
        return labels.get(self.flavour.workload_label) or None


def _combine(rates: dict[Any, tuple[float, float]], latencies: dict[Any, dict[str, float]]) -> dict[Any, Figures]:
    combined = {}
    for key in rates.keys() | latencies.keys():
        success, failure = rates.get(key, (0.0, 0.0))
        total = success + failure
        combined[key] = Figures(rps=total, success_rate=success / total if total > 0 else None,
                                **latencies.get(key, {}))
    return combined


def _escape(value: str) -> str:
    """A label value inside double quotes (namespace names are DNS labels; this is belt and braces)."""
    return value.replace("\\", "\\\\").replace('"', '\\"')
