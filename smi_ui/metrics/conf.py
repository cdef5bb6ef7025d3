"""Metrics settings, read from Django settings with defaults (environment variables in the project settings).

- METRICS_POLL_SECONDS: refresh interval per watched namespace (default 5, never below 1).
- METRICS_WINDOW_SECONDS: the window figures cover (default 30).
- METRICS_HISTORY_SECONDS: how much history is kept for sparklines (default 900, never below 900).
- METRICS_PROVIDERS: cluster name -> provider config; "*" is the default for unnamed clusters.
  A config is {"provider": "smi-metrics-api"} or {"provider": "prometheus", "url": ..., "flavour":
  "linkerd" | "istio", "queries": {name: template}} (see providers.promql for the names).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

MINIMUM_POLL_SECONDS = 1.0
MINIMUM_HISTORY_SECONDS = 900.0
DEFAULT_PROVIDER: dict[str, Any] = {"provider": "smi-metrics-api"}


def poll_seconds() -> float:
    return max(MINIMUM_POLL_SECONDS, float(getattr(settings, "METRICS_POLL_SECONDS", 5.0)))


def window_seconds() -> float:
    return float(getattr(settings, "METRICS_WINDOW_SECONDS", 30.0))


def history_seconds() -> float:
    return max(MINIMUM_HISTORY_SECONDS, float(getattr(settings, "METRICS_HISTORY_SECONDS", 900.0)))


def provider_config(cluster_name: str) -> dict[str, Any]:
    configured: dict[str, dict[str, Any]] = getattr(settings, "METRICS_PROVIDERS", {}) or {}
    return dict(configured.get(cluster_name) or configured.get("*") or DEFAULT_PROVIDER)
