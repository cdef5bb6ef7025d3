"""Pollers: refresh, cache, publish deltas and history; follow weight changes; survive provider failures."""

from __future__ import annotations

import time

import pytest

from smi_ui.changes.actors import Actor
from smi_ui.changes.services import set_split_weights
from smi_ui.live.groups import metrics_group
from smi_ui.metrics.figures import NamespaceMetrics
from smi_ui.metrics.history import MemoryHistory
from smi_ui.metrics.poller import NamespacePoller
from smi_ui.metrics.pollers import PollerRegistry
from smi_ui.metrics.providers.base import ProviderError
from smi_ui.metrics.selection import provider_for
from smi_ui.ops.metrics import PROVIDER_ERRORS
from tests.edit_support import make_user

pytestmark = pytest.mark.django_db(transaction=True)

INTERVAL = 1.0
CANARY_EDGE = "bookstore/bookbuyer->bookstore/bookstore-v2"


class Recorder:
    """Collects published messages instead of sending them to the channel layer."""

    def __init__(self) -> None:
        self.messages: list[tuple[dict, list[str]]] = []

    def __call__(self, message: dict, groups: list[str]) -> None:
        self.messages.append((message, groups))


def start_poller(cluster_id: int, provider_factory=provider_for, history=None, publisher=None) -> NamespacePoller:
    poller = NamespacePoller(cluster_id, "bookstore", provider_factory, interval=INTERVAL, window_seconds=INTERVAL,
                             history=history or MemoryHistory(900), publisher=publisher or Recorder())
    poller.start()
    assert poller.wait_for_refresh(0, timeout=10), "first refresh"
    return poller


def test_weight_change_moves_backend_rates_within_two_refreshes(traffic_world):
    poller = start_poller(traffic_world.cluster.pk)
    try:
        assert poller.latest["edges"][CANARY_EDGE]["rps"] == pytest.approx(4.0)
        operator = make_user("operator", "operator")
        split = traffic_world.live("split.smi-spec.io/v1alpha4", "TrafficSplit", "bookstore-canary", "bookstore")
        refreshes_before = poller.refreshes
        changed_at = time.monotonic()
        set_split_weights(Actor.for_user(operator), traffic_world.cluster, "bookstore", "bookstore-canary",
                          {"bookstore-v1": 50, "bookstore-v2": 50},
                          base_resource_version=split["metadata"]["resourceVersion"])
        for refresh in (1, 2):
            assert poller.wait_for_refresh(refreshes_before + refresh - 1, timeout=INTERVAL * 2 + 5)
            if poller.latest["edges"][CANARY_EDGE]["rps"] == pytest.approx(10.0):
                break
        assert poller.latest["edges"][CANARY_EDGE]["rps"] == pytest.approx(10.0), "canary rate after two refreshes"
        assert poller.latest["edges"]["bookstore/bookbuyer->bookstore/bookstore-v1"]["rps"] == pytest.approx(10.0)
        assert time.monotonic() - changed_at <= 2 * INTERVAL + 1.0
    finally:
        poller.stop()


def test_first_refresh_publishes_everything_then_only_changes(traffic_world):
    recorder = Recorder()
    poller = start_poller(traffic_world.cluster.pk, publisher=recorder)
    try:
        assert poller.wait_for_refresh(1, timeout=10)
        (first, groups), *rest = recorder.messages
        assert groups == [metrics_group(traffic_world.cluster.pk, "bookstore")]
        assert first["type"] == "metrics.delta" and first["full"] and CANARY_EDGE in first["edges"]
        assert rest == []  # steady traffic: the second refresh changed nothing
    finally:
        poller.stop()


def test_failing_provider_marks_figures_unavailable_with_the_reason(traffic_world):
    def broken(_cluster_id: int):
        raise ProviderError("Prometheus at http://127.0.0.1:1 is unreachable")

    errors = PROVIDER_ERRORS.labels(provider="unconfigured")
    errors_before = errors._value.get()
    recorder, history = Recorder(), MemoryHistory(900)
    poller = start_poller(traffic_world.cluster.pk, provider_factory=broken, history=history, publisher=recorder)
    poller.stop()
    message = recorder.messages[0][0]
    assert message["available"] is False and "unreachable" in message["reason"]
    assert errors._value.get() >= errors_before + 1  # counted for the dashboard's own /metrics
    assert history.points(traffic_world.cluster.pk, "bookstore") == []


def test_refreshes_are_recorded_in_the_rolling_history(traffic_world):
    history = MemoryHistory(900)
    poller = start_poller(traffic_world.cluster.pk, history=history)
    poller.stop()
    (point,) = history.points(traffic_world.cluster.pk, "bookstore")
    assert point["edges"][CANARY_EDGE][0] == pytest.approx(4.0)


def test_memory_history_keeps_fifteen_minutes():
    history = MemoryHistory(900)
    for minute in range(30):
        history.record(1, "ns", minute * 60.0, {"minute": minute})
    assert [p["minute"] for p in history.points(1, "ns")] == list(range(14, 30))


def test_registry_polls_only_watched_namespaces():
    calls: list[str] = []

    class Counting:
        def namespace_metrics(self, namespace: str, window_seconds: float) -> NamespaceMetrics:
            calls.append(namespace)
            return NamespaceMetrics(namespace, window_seconds, time.time())

    registry = PollerRegistry(lambda _cluster: Counting(), MemoryHistory(900))
    registry.subscribe(1, "bookstore")
    registry.subscribe(1, "bookstore")
    poller = registry.poller(1, "bookstore")
    assert poller.wait_for_refresh(0, timeout=5)
    registry.unsubscribe(1, "bookstore")
    assert registry.watched() == {(1, "bookstore"): 1}
    registry.unsubscribe(1, "bookstore")
    assert registry.watched() == {} and registry.poller(1, "bookstore") is None
    poller._thread.join(5)
    assert not poller._thread.is_alive(), "the last watcher leaving stops the poller"
    assert set(calls) == {"bookstore"}


def test_history_is_readable_through_the_selector_while_watched(monkeypatch):
    from smi_ui.metrics import selectors

    class Steady:
        def namespace_metrics(self, namespace: str, window_seconds: float) -> NamespaceMetrics:
            return NamespaceMetrics(namespace, window_seconds, time.time())

    registry = PollerRegistry(lambda _cluster: Steady(), MemoryHistory(900))
    monkeypatch.setattr(selectors, "pollers", registry)
    try:
        assert selectors.cached_namespace_metrics(7, "web") is None
        registry.subscribe(7, "web")
        assert registry.poller(7, "web").wait_for_refresh(0, timeout=5)
        assert selectors.cached_namespace_metrics(7, "web")["namespace"] == "web"
        assert len(selectors.namespace_history(7, "web")) >= 1
    finally:
        registry.stop_all()


def test_switched_off_figures_are_explained_but_not_counted_as_failures(traffic_world):
    from smi_ui.metrics.providers.base import ProviderDisabled

    def switched_off(_cluster_id: int):
        raise ProviderDisabled("live traffic figures are switched off for cluster demo (METRICS_PROVIDERS)")

    errors = PROVIDER_ERRORS.labels(provider="unconfigured")
    errors_before = errors._value.get()
    recorder = Recorder()
    poller = start_poller(traffic_world.cluster.pk, provider_factory=switched_off, history=MemoryHistory(900),
                          publisher=recorder)
    poller.stop()
    message = recorder.messages[0][0]
    assert message["available"] is False and "switched off" in message["reason"]
    assert errors._value.get() == errors_before
