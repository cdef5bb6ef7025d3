"""The SMI metrics API provider against the sandbox's metrics.smi-spec.io/v1alpha1."""

from __future__ import annotations

import pytest

from smi_ui.clusters.sync import access_for
from smi_ui.kube.client import transport_for
from smi_ui.kube.metrics_api import TrafficMetricsClient
from smi_ui.metrics.providers.base import ProviderAbsent, ProviderError
from smi_ui.metrics.providers.smi_api import SmiMetricsApiProvider, figures_of, window_seconds
from smi_ui.metrics.selection import provider_for
from smi_ui.sandbox.simulator import CANARY, STABLE

from .conftest import edge


def metrics_api_requests(_method: str, path: str) -> bool:
    return path.startswith("/apis/metrics.smi-spec.io/")


pytestmark = pytest.mark.django_db(transaction=True)


def provider(world) -> SmiMetricsApiProvider:
    return SmiMetricsApiProvider(TrafficMetricsClient(transport_for(access_for(world.cluster))))


def test_edge_figures_match_the_simulated_traffic(traffic_world):
    metrics = provider(traffic_world).namespace_metrics("bookstore", 30)
    to_canary = edge(metrics, "bookbuyer", "bookstore-v2")
    assert to_canary.rps == pytest.approx(4.0)
    assert to_canary.success_rate == pytest.approx(CANARY.success_rate)
    assert (to_canary.p50_ms, to_canary.p90_ms, to_canary.p99_ms) == pytest.approx((20, 100, 300), rel=1e-3)
    to_stable = edge(metrics, "bookbuyer", "bookstore-v1")
    assert to_stable.rps == pytest.approx(16.0)
    assert to_stable.p99_ms == pytest.approx(STABLE.p99_ms, rel=1e-3)


def test_denied_edge_shows_failures_not_successes(traffic_world):
    metrics = provider(traffic_world).namespace_metrics("bookstore", 30)
    denied = edge(metrics, "bookthief", "bookstore-v1")
    assert denied.rps == pytest.approx(3.2) and denied.success_rate == 0


def test_workload_figures_sum_what_it_received(traffic_world):
    metrics = provider(traffic_world).namespace_metrics("bookstore", 30)
    assert metrics.resources["bookwarehouse"].rps == pytest.approx(8.0)
    assert metrics.resources["bookbuyer"].rps == 0 and metrics.resources["bookbuyer"].success_rate is None


def test_window_is_sent_as_t_and_counts_cover_it(traffic_world):
    traffic_world.handle.cluster.clear_requests()
    client = TrafficMetricsClient(transport_for(access_for(traffic_world.cluster)))
    short, long = client.list("bookstore", 30), client.list("bookstore", 120)
    requests = [r for r in traffic_world.handle.cluster.requests if r.path.startswith("/apis/metrics.smi-spec.io")]
    assert [r.query.get("t") for r in requests] == ["30s", "120s"]
    counts = {}
    for label, listing in (("short", short), ("long", long)):
        item = next(i for i in listing["items"] if i["resource"]["name"] == "bookwarehouse")
        counts[label] = {m["name"]: m["value"] for m in item["metrics"]}
        assert item["window"] == ("30s" if label == "short" else "2m0s")
    # 8 rps x 99.5 % success over 30 s and 120 s, as milli-quantities
    assert (counts["short"]["success_count"], counts["long"]["success_count"]) == ("238800m", "955200m")
    assert provider(traffic_world).namespace_metrics("bookstore", 120).resources["bookwarehouse"].rps == \
        pytest.approx(8.0)


def test_milli_quantities_are_read_exactly():
    item = {"window": "30s", "metrics": [
        {"name": "p50_response_latency", "unit": "ms", "value": "12500m"},
        {"name": "p90_response_latency", "unit": "ms", "value": "40"},
        {"name": "p99_response_latency", "unit": "seconds", "value": "250m"},
        {"name": "success_count", "value": "1500m"},
        {"name": "failure_count", "value": "1500m"},
    ]}
    figures = figures_of(item, requested_window=60)
    assert (figures.p50_ms, figures.p90_ms, figures.p99_ms) == (12.5, 40.0, 250.0)
    assert figures.rps == pytest.approx(3 / 30) and figures.success_rate == 0.5


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("1m0s", 60), ("1h2m3s", 3723), ("250ms", 0.25),
                                               (None, None), ("x", None), ("5", None)])
def test_item_windows_are_go_durations(text, seconds):
    assert window_seconds(text) == seconds


def test_cluster_without_the_metrics_api_says_so_and_what_to_configure(world_factory):
    world = world_factory()  # no simulator attached: the aggregated API is not served
    with pytest.raises(ProviderAbsent) as absent:
        provider(world).namespace_metrics("bookstore", 30)
    assert str(absent.value) == ("this cluster serves no SMI metrics API (metrics.smi-spec.io/v1alpha1); "
                                 "configure the Prometheus provider with METRICS_PROVIDERS")


def test_a_served_metrics_api_that_fails_is_still_a_failure(traffic_world):
    traffic_world.handle.cluster.fail_next(5, status=503, matcher=metrics_api_requests)
    with pytest.raises(ProviderError, match="503") as failed:
        provider(traffic_world).namespace_metrics("bookstore", 30)
    assert not isinstance(failed.value, ProviderAbsent)


def test_default_provider_of_a_cluster_is_the_smi_metrics_api(traffic_world):
    metrics = provider_for(traffic_world.cluster.pk).namespace_metrics("storefront", 30)
    assert edge(metrics, "frontend", "catalog-beta", "storefront").rps == pytest.approx(15.0)
