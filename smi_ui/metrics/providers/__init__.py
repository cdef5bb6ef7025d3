"""Metrics providers: each answers `namespace_metrics(namespace, window_seconds)` with NamespaceMetrics."""

from .base import MetricsProvider, ProviderError

__all__ = ["MetricsProvider", "ProviderError"]
