"""The one shape every provider returns: per-edge and per-workload figures of a namespace, in fixed units.

Units: request rates in requests per second, success rate as a fraction 0..1 (None without
requests), latencies in milliseconds (None when unknown).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figures:
    rps: float
    success_rate: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None

    def rounded(self) -> dict[str, float | None]:
        """JSON form, rounded so that noise below display precision does not count as a change."""
        return {name: None if value is None else round(value, 3) for name, value in asdict(self).items()}


def figures_from_counts(success: float, failure: float, seconds: float, p50: float | None = None,
                        p90: float | None = None, p99: float | None = None) -> Figures:
    total = success + failure
    return Figures(rps=total / seconds if seconds > 0 else 0.0, success_rate=success / total if total > 0 else None,
                   p50_ms=p50, p90_ms=p90, p99_ms=p99)


@dataclass(frozen=True, order=True)
class EdgeKey:
    """Traffic from one workload to another (Deployments), each with its namespace."""

    source_namespace: str
    source: str
    destination_namespace: str
    destination: str

    def label(self) -> str:
        return f"{self.source_namespace}/{self.source}->{self.destination_namespace}/{self.destination}"

    def involves(self, namespace: str, name: str) -> bool:
        return (self.source_namespace, self.source) == (namespace, name) or \
            (self.destination_namespace, self.destination) == (namespace, name)


@dataclass
class NamespaceMetrics:
    """What one refresh of one namespace produced; `available` False carries the reason.

    `failed` tells a provider failure from an expected absence (switched off, API not served).
    """

    namespace: str
    window_seconds: float
    observed_at: float
    resources: dict[str, Figures] = field(default_factory=dict)  # workload name -> what it received
    edges: dict[EdgeKey, Figures] = field(default_factory=dict)
    available: bool = True
    reason: str = ""
    failed: bool = False
    queries: int = 0  # requests the provider sent for this refresh

    def as_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "windowSeconds": self.window_seconds,
            "observedAt": self.observed_at,
            "available": self.available,
            "reason": self.reason,
            "failed": self.failed,
            "resources": {name: figures.rounded() for name, figures in sorted(self.resources.items())},
            "edges": {key.label(): figures.rounded() for key, figures in sorted(self.edges.items())},
        }
