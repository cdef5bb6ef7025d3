"""A cluster serving no SMI metrics API (most real clusters): explained, not counted as a provider failure."""

from __future__ import annotations

import pytest

from smi_ui.metrics.history import MemoryHistory
from smi_ui.metrics.poller import NamespacePoller
from smi_ui.metrics.selection import provider_for
from smi_ui.ops.metrics import PROVIDER_ERRORS

from .test_poller import Recorder


def metrics_api_requests(_method: str, path: str) -> bool:
    return path.startswith("/apis/metrics.smi-spec.io/")


pytestmark = pytest.mark.django_db(transaction=True)


def refreshed_once(cluster_id: int) -> dict:
    recorder = Recorder()
    poller = NamespacePoller(cluster_id, "bookstore", provider_for, interval=60, window_seconds=30,
                             history=MemoryHistory(900), publisher=recorder)
    poller.start()
    try:
        assert poller.wait_for_refresh(0, timeout=10), "first refresh"
    finally:
        poller.stop()
    return recorder.messages[0][0]


def failures() -> float:
    return sum(sample.value for metric in PROVIDER_ERRORS.collect() for sample in metric.samples
               if sample.name.endswith("_total"))


def test_no_metrics_api_is_explained_and_not_a_failure(world_factory):
    world = world_factory()  # the sandbox serves no metrics.smi-spec.io without a simulator
    before = failures()
    message = refreshed_once(world.cluster.pk)
    assert message["available"] is False and message["failed"] is False
    assert message["reason"] == ("this cluster serves no SMI metrics API (metrics.smi-spec.io/v1alpha1); "
                                 "configure the Prometheus provider with METRICS_PROVIDERS")
    assert "404" not in message["reason"] and "failed" not in message["reason"]
    assert failures() == before


def test_a_failing_metrics_api_is_a_counted_failure(traffic_world):
    traffic_world.handle.cluster.fail_next(5, status=503, matcher=metrics_api_requests)
    before = failures()
    message = refreshed_once(traffic_world.cluster.pk)
    assert message["available"] is False and message["failed"] is True
    assert "503" in message["reason"]
    assert failures() == before + 1
