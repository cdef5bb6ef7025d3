"""The Prometheus provider against a real Prometheus scraping the simulator's Linkerd-shaped metrics.

Tolerances: request rates within 3 %, success rates within 0.005, latency quantiles within
5 % (the simulator's quantiles sit on Linkerd bucket bounds, so histogram_quantile is exact
up to scrape-timing noise).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from smi_ui.metrics.figures import EdgeKey, NamespaceMetrics
from smi_ui.metrics.providers.prometheus import PrometheusClient, PrometheusProvider
from smi_ui.metrics.providers.promql import ISTIO, LINKERD, QUERY_NAMES
from smi_ui.sandbox.demo import demo_objects
from smi_ui.sandbox.simulator import PROMETHEUS_PATH, Flow

from .prometheus_support import require_prometheus, running_prometheus

pytestmark = pytest.mark.slow
WINDOW_SECONDS = 10
QUERIES_PER_REFRESH = 8  # requests + 3 latency quantiles, for edges and for workloads


def refresh_until(provider: PrometheusProvider, namespace: str, settled: Callable[[NamespaceMetrics], bool],
                  timeout: float = 60) -> NamespaceMetrics:
    """Refresh until the figures settle (Prometheus needs a few scrapes within the window)."""
    deadline = time.monotonic() + timeout
    while True:
        metrics = provider.namespace_metrics(namespace, WINDOW_SECONDS)
        if settled(metrics):
            return metrics
        if time.monotonic() > deadline:
            raise AssertionError(f"figures did not settle within {timeout}s: {metrics.as_json()}")
        time.sleep(0.5)


def close(value: float | None, expected: float, relative: float) -> bool:
    return value is not None and abs(value - expected) <= relative * expected


def test_edge_and_workload_figures_match_the_simulator(sandbox_factory, tmp_path):
    require_prometheus()
    handle = sandbox_factory(objects=demo_objects())
    handle.cluster.attach_simulator()
    expected = {EdgeKey(t.edge.source_namespace, t.edge.source, t.edge.destination_namespace, t.edge.destination): t
                for t in handle.cluster.traffic() if t.edge.source_namespace == "bookstore"}
    with running_prometheus(f"127.0.0.1:{handle.cluster.port}", PROMETHEUS_PATH, tmp_path) as url:
        provider = PrometheusProvider(PrometheusClient(url), LINKERD)

        def all_edges_settled(metrics: NamespaceMetrics) -> bool:
            return set(metrics.edges) == set(expected) and all(
                close(metrics.edges[key].rps, item.rps, 0.03) for key, item in expected.items())

        metrics = refresh_until(provider, "bookstore", all_edges_settled)
    for key, item in expected.items():
        figures = metrics.edges[key]
        assert figures.success_rate == pytest.approx(item.profile.success_rate, abs=0.005), key
        for measured, wanted in ((figures.p50_ms, item.profile.p50_ms), (figures.p90_ms, item.profile.p90_ms),
                                 (figures.p99_ms, item.profile.p99_ms)):
            assert close(measured, wanted, 0.05), (key, measured, wanted)
    warehouse = metrics.resources["bookwarehouse"]
    assert close(warehouse.rps, 8.0, 0.03) and warehouse.success_rate == pytest.approx(0.995, abs=0.005)
    assert close(warehouse.p99_ms, 100, 0.05)
    assert metrics.resources["bookstore-v2"].success_rate < metrics.resources["bookstore-v1"].success_rate
    assert metrics.queries == QUERIES_PER_REFRESH


def generated_mesh(services: int) -> list[dict]:
    objects: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mesh"}}]
    for number in range(services):
        name = f"svc-{number:03d}"
        objects.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "mesh"},
                        "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
                            "metadata": {"labels": {"app": name}},
                            "spec": {"containers": [{"name": "app", "image": "demo.smi-ui.local/app:v1"}]}}}})
        objects.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "mesh"},
                        "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}})
    return objects


def chain(services: int) -> list[Flow]:
    """Each service calls the next one: services - 1 edges."""
    return [Flow("mesh", f"svc-{number:03d}", f"svc-{number + 1:03d}", 2.0) for number in range(services - 1)]


def test_queries_per_refresh_stay_constant_as_the_mesh_grows(sandbox_factory, tmp_path):
    require_prometheus()
    handle = sandbox_factory(objects=generated_mesh(200))
    simulator = handle.cluster.attach_simulator(chain(10), access_control=False)
    with running_prometheus(f"127.0.0.1:{handle.cluster.port}", PROMETHEUS_PATH, tmp_path) as url:
        provider = PrometheusProvider(PrometheusClient(url), LINKERD)
        small = refresh_until(provider, "mesh", lambda m: len(m.edges) == 9)
        simulator.set_flows(chain(200))
        large = refresh_until(provider, "mesh", lambda m: len(m.edges) == 199 and all(
            close(f.rps, 2.0, 0.03) for f in m.edges.values()))
    assert small.queries == large.queries == QUERIES_PER_REFRESH
    assert len(large.resources) == 199


@pytest.mark.parametrize("flavour", [LINKERD, ISTIO], ids=lambda f: f.name)
def test_every_query_template_formats_for_a_namespace(flavour):
    for name in QUERY_NAMES:
        text = flavour.queries[name].format(namespace="bookstore", window="30s", quantile=0.99)
        assert '"bookstore"' in text and "[30s]" in text


def test_query_templates_can_be_overridden_by_name():
    custom = LINKERD.with_overrides({"edge_requests": "sum(rate(my_requests{{ns=\"{namespace}\"}}[{window}]))"})
    assert custom.queries["edge_requests"].startswith("sum(rate(my_requests")
    assert custom.queries["edge_latency"] == LINKERD.queries["edge_latency"]
    with pytest.raises(ValueError, match="unknown query names"):
        LINKERD.with_overrides({"edges": "x"})


def test_istio_counts_only_2xx_and_3xx_as_success():
    assert ISTIO.is_success({"response_code": "200"}) and ISTIO.is_success({"response_code": "304"})
    assert not ISTIO.is_success({"response_code": "403"}) and not ISTIO.is_success({"response_code": "503"})
