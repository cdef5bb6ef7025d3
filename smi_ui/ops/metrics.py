"""The dashboard's own Prometheus metrics.

Request, websocket and audit counters are kept in this process; sync figures are read from
the database at scrape time, so any web replica reports the state of every sync process.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "smi_ui_http_requests_total", "HTTP requests served, by method and status class", ["method", "status"],
    registry=REGISTRY,
)
WEBSOCKET_CONNECTIONS = Gauge(
    "smi_ui_websocket_connections", "Websocket connections open in this process", registry=REGISTRY
)
AUDIT_WRITES = Counter(
    "smi_ui_audit_entries_total", "Audit entries written, by outcome", ["outcome"], registry=REGISTRY
)
WATCH_RESTARTS = Counter(
    "smi_ui_watch_restarts_total", "Watch streams re-opened after an error or a 410, by kind", ["kind", "reason"],
    registry=REGISTRY,
)
PROVIDER_ERRORS = Counter(
    "smi_ui_metrics_provider_errors_total", "Failed traffic-metrics queries, by provider", ["provider"],
    registry=REGISTRY,
)


class SyncCollector(Collector):
    """Per cluster and kind: objects listed, seconds since the last event, staleness."""

    def describe(self) -> list:
        return []  # names are only known at scrape time; never query the database at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from smi_ui.clusters.models import KindStatus

        listed = GaugeMetricFamily("smi_ui_sync_objects", "Objects listed by sync", labels=["cluster", "kind"])
        lag = GaugeMetricFamily("smi_ui_sync_event_lag_seconds", "Latest change-to-store lag",
                                labels=["cluster", "kind"])
        idle = GaugeMetricFamily("smi_ui_sync_seconds_since_event", "Seconds since the last watch event",
                                 labels=["cluster", "kind"])
        stale = GaugeMetricFamily("smi_ui_sync_stale", "1 when the kind's sync is stale", labels=["cluster", "kind"])
        now = timezone.now()
        for status in KindStatus.objects.select_related("cluster"):
            labels = [status.cluster.name, status.kind]
            listed.add_metric(labels, status.listed)
            stale.add_metric(labels, 1.0 if status.state == "stale" else 0.0)
            if status.event_lag_ms is not None:
                lag.add_metric(labels, status.event_lag_ms / 1000)
            if status.last_event_at is not None:
                idle.add_metric(labels, (now - status.last_event_at).total_seconds())
        yield from (listed, lag, idle, stale)


REGISTRY.register(SyncCollector())
