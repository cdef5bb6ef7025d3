"""The interface every metrics source implements, so pollers and pages never care which one answers."""

from __future__ import annotations

from typing import Protocol

from ..figures import NamespaceMetrics


class ProviderError(Exception):
    """The source could not answer (unreachable, refused, malformed); the message says why."""


class ProviderDisabled(ProviderError):
    """Live figures are switched off for the cluster: expected, so not counted as a failure."""


class ProviderAbsent(ProviderDisabled):
    """The cluster does not serve the API the provider reads: its usual state, not a failure; says what to do."""


class MetricsProvider(Protocol):
    def namespace_metrics(self, namespace: str, window_seconds: float) -> NamespaceMetrics:
        """Per-workload and per-edge figures of `namespace` over the last `window_seconds`."""
        ...
