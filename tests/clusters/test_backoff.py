"""Retrying a watch and a cluster client: backoff that starts over after a healthy watch, Retry-After
honoured, unbuildable clients shown as errors and retried, deliberate stops not read as failures."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from smi_ui.clusters.models import Cluster, KindStatus
from smi_ui.clusters.services import register_from_kubeconfig
from smi_ui.clusters.sync import ClusterSync, SyncWorker, access_for
from smi_ui.kube.client import transport_for
from smi_ui.kube.resources import smi_resource
from smi_ui.kube.transport import KubeApiError
from smi_ui.kube.watch import Reflector, WatchSettings
from smi_ui.sandbox.demo import demo_objects
from smi_ui.smi.kinds import REGISTRY
from tests.conditions import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SPLITS = smi_resource(REGISTRY["TrafficSplit"], "v1alpha4")


class Recorder:
    """A reflector's handler that keeps what it was told."""

    def __init__(self) -> None:
        self.states: list[tuple[str, str]] = []
        self.events: list[tuple[str, dict]] = []

    def on_list_start(self, resource) -> None: ...

    def on_list_page(self, resource, items) -> None: ...

    def on_listed(self, resource, resource_version) -> None: ...

    def on_events(self, resource, events) -> None:
        self.events.extend(events)

    def on_progress(self, resource, state, detail="", listed=0, status=0) -> None:
        self.states.append((state, detail))


@pytest.fixture
def reflect(sandbox_factory):
    """A reflector on TrafficSplits of a demo sandbox; every backoff wait it takes is recorded."""
    running: list[tuple[Reflector, threading.Thread]] = []

    def start(**settings):
        handle = sandbox_factory(objects=demo_objects())
        (cluster,) = register_from_kubeconfig(handle.kubeconfig)
        recorder = Recorder()
        reflector = Reflector(transport_for(access_for(cluster)), SPLITS, recorder,
                              settings=WatchSettings(watch_timeout_seconds=60, backoff_jitter=0, **settings))
        waits: list[float] = []
        sleep = reflector._interruptible_sleep

        def recorded(seconds: float) -> None:
            waits.append(round(seconds, 3))
            sleep(seconds)

        reflector._interruptible_sleep = recorded
        thread = threading.Thread(target=reflector.run, daemon=True)
        thread.start()
        reflector.test_thread = thread
        running.append((reflector, thread))
        wait_for(lambda: handle.cluster.open_watches == 1, what="the watch open")
        return handle, reflector, recorder, waits

    yield start
    for reflector, thread in running:
        reflector.halt()
        thread.join(5)


def broken_while_refusing(handle, failures_wanted: int, waits: list[float]) -> None:
    """Break the open watch (the connection dies) and refuse reconnections for `failures_wanted` retries."""
    seen = len(waits)
    with handle.cluster.refusing_connections():
        wait_for(lambda: len(waits) >= seen + failures_wanted, timeout=30, what=f"{failures_wanted} retries")
    wait_for(lambda: handle.cluster.open_watches == 1, timeout=30, what="the watch open again")


def test_backoff_grows_during_an_outage_and_starts_over_once_the_watch_was_healthy(reflect):
    handle, reflector, _, waits = reflect(backoff_initial=0.1, backoff_max=10, healthy_after_seconds=1.0)
    broken_while_refusing(handle, 4, waits)
    outage = waits[:]
    assert outage[:4] == [0.1, 0.2, 0.4, 0.8]  # doubling while nothing answers
    opened = time.monotonic()
    wait_for(lambda: time.monotonic() - opened > 1.5, what="the watch healthy for longer than 1 s")
    broken_while_refusing(handle, 1, waits)
    assert waits[len(outage)] == 0.1  # a fresh start, not the 1.6 s the outage had reached


def test_a_blip_right_after_reconnecting_keeps_backing_off(reflect):
    handle, reflector, _, waits = reflect(backoff_initial=0.1, backoff_max=10, healthy_after_seconds=30)
    broken_while_refusing(handle, 3, waits)
    broken_while_refusing(handle, 1, waits)  # the watch was not open long enough to count as healthy
    assert waits[:4] == [0.1, 0.2, 0.4, 0.8]


def test_429_retry_after_is_honoured(reflect):
    handle, reflector, recorder, waits = reflect(backoff_initial=0.05, backoff_max=10)
    handle.cluster.fail_next(2, status=429, retry_after=1)
    dropped = time.monotonic()
    handle.cluster.drop_watches()  # the server ends the watch; the next two watch requests are throttled
    wait_for(lambda: handle.cluster.open_watches == 1, timeout=30, what="the watch open again")
    assert handle.cluster.faults.injected == 2
    assert time.monotonic() - dropped >= 2.0  # twice the second the server asked for, not 0.05 s + 0.1 s


def test_a_throttled_answer_that_reaches_the_reflector_waits_at_least_its_retry_after():
    reflector = Reflector(None, SPLITS, Recorder(), settings=WatchSettings(backoff_initial=0.1, backoff_jitter=0))
    throttled = KubeApiError(429, "TooManyRequests", "storage is (re)initializing",
                             {"kind": "Status", "code": 429, "details": {"retryAfterSeconds": 3}})
    state = SimpleNamespace(attempt_number=1, outcome=SimpleNamespace(exception=lambda: throttled))
    assert reflector._backoff(state) == 3.0
    other = KubeApiError(500, "InternalError", "boom", {"details": {"retryAfterSeconds": 3}})
    state.outcome = SimpleNamespace(exception=lambda: other)
    assert reflector._backoff(state) == 0.1


def test_a_halted_reflector_reports_no_failure(reflect):
    handle, reflector, recorder, waits = reflect(backoff_initial=0.1)
    reflector.halt()
    wait_for(lambda: not reflector.test_thread.is_alive(), what="the reflector ended")
    assert waits == [] and not any(state == "stale" for state, _ in recorder.states)


def synced_cluster(sandbox_factory):
    handle = sandbox_factory(objects=demo_objects())
    (cluster,) = register_from_kubeconfig(handle.kubeconfig)
    return handle, cluster


FAST = WatchSettings(watch_timeout_seconds=30, backoff_initial=0.1, backoff_max=0.5, backoff_jitter=0.05)


def test_a_graceful_stop_reads_stopped_not_stale(sandbox_factory):
    _, cluster = synced_cluster(sandbox_factory)
    sync = ClusterSync(cluster, watch_settings=FAST, rediscover_seconds=30)
    sync.start()
    wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", timeout=30, what="connected")
    sync.stop(final_state="pending")
    cluster.refresh_from_db()
    assert (cluster.state, cluster.last_error, cluster.state_detail) == (
        "pending", "", "sync stopped; waiting for a sync process")
    assert not KindStatus.objects.filter(cluster=cluster, state="stale").exists()
    assert not KindStatus.objects.filter(cluster=cluster, last_error__contains="StreamBroken").exists()


def test_a_disabled_cluster_reads_disabled(sandbox_factory):
    _, cluster = synced_cluster(sandbox_factory)
    worker = SyncWorker(holder="test-worker", lease_seconds=3, watch_settings=FAST, rediscover_seconds=30)
    worker.tick()
    try:
        wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", timeout=30, what="connected")
        Cluster.objects.filter(pk=cluster.pk).update(enabled=False)
        worker.tick()
        cluster.refresh_from_db()
        assert (cluster.state, cluster.last_error) == ("disabled", "")
        assert set(KindStatus.objects.filter(cluster=cluster).values_list("state", flat=True)) == {"disabled"}
    finally:
        worker.shutdown()


def test_a_cluster_whose_client_cannot_be_built_reads_error_and_is_retried_until_fixed(sandbox_factory):
    handle, cluster = synced_cluster(sandbox_factory)
    working = cluster.credentials
    broken = {"kubeconfig": {**working["kubeconfig"], "clusters": [
        {**entry, "cluster": {"server": entry["cluster"]["server"], "certificate-authority": "/nonexistent/ca.crt"}}
        for entry in working["kubeconfig"]["clusters"]]}}
    cluster.set_credentials(broken)
    cluster.save()
    sync = ClusterSync(cluster, watch_settings=FAST, rediscover_seconds=30)
    sync.start()
    try:
        state = wait_for(lambda: Cluster.objects.filter(pk=cluster.pk, state="error").first(), what="error state")
        assert "certificate-authority" in state.last_error or "ca.crt" in state.last_error
        assert state.state_detail.startswith("retrying in")
        first = Cluster.objects.get(pk=cluster.pk).updated_at
        wait_for(lambda: Cluster.objects.get(pk=cluster.pk).updated_at > first, what="a retry")  # still trying
        cluster.set_credentials(working)  # fixed: picked up at the next attempt, no restart
        Cluster.objects.filter(pk=cluster.pk).update(credentials_encrypted=cluster.credentials_encrypted)
        wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", timeout=30, what="connected")
        assert Cluster.objects.get(pk=cluster.pk).last_error == ""
    finally:
        sync.stop()
