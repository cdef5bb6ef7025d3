"""Faults injected into the parts the dashboard depends on; each scenario asserts that nothing
is lost and that the system recovers by itself."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from channels.layers import get_channel_layer
from django.db import close_old_connections, connection

from smi_ui.audit.chain import verify
from smi_ui.audit.models import AuditEntry
from smi_ui.changes.actors import Actor
from smi_ui.changes.errors import ChangeError
from smi_ui.changes.services import set_split_weights
from smi_ui.clusters.leases import holder_of
from smi_ui.clusters.models import Cluster
from smi_ui.clusters.services import register_from_kubeconfig
from smi_ui.clusters.sync import ClusterSync
from smi_ui.inventory.models import KubeObject
from smi_ui.kube.watch import WatchSettings
from smi_ui.live.groups import namespace_group
from smi_ui.metrics.pollers import pollers
from smi_ui.sandbox.demo import demo_objects
from smi_ui.sandbox.simulator import PROMETHEUS_PATH
from tests.conditions import wait_for
from tests.loops import run_on_own_loop
from tests.metrics.prometheus_support import PrometheusProcess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
FAST = WatchSettings(watch_timeout_seconds=30, backoff_initial=0.1, backoff_max=1.0)
SPLIT = ("split.smi-spec.io/v1alpha4", "TrafficSplit", "bookstore-canary", "bookstore")
#: Restarting PostgreSQL or Redis disturbs every other user of the machine: CI opts in.
MAY_RESTART_SERVICES = os.environ.get("SMI_UI_RESTART_SERVICES") == "1"


@pytest.fixture
def world(sandbox_factory):
    """A synced demo cluster; yields (sandbox handle, cluster, sync)."""
    handle = sandbox_factory(objects=demo_objects())
    (cluster,) = register_from_kubeconfig(handle.kubeconfig)
    sync = ClusterSync(cluster, watch_settings=FAST, rediscover_seconds=1)
    sync.start()
    wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", timeout=30, what="first sync")
    yield handle, cluster, sync
    sync.stop()


def cluster_state(cluster: Cluster) -> str:
    close_old_connections()
    return Cluster.objects.get(pk=cluster.pk).state


def stored_weights(cluster: Cluster) -> list[int] | None:
    close_old_connections()
    row = KubeObject.objects.filter(cluster=cluster, kind="TrafficSplit", name="bookstore-canary").first()
    return [b["weight"] for b in row.raw["spec"]["backends"]] if row else None


def sandbox_weights(handle) -> list[int]:
    return [b["weight"] for b in handle.cluster.get(*SPLIT)["spec"]["backends"]]


def edit_weights(cluster: Cluster, v1: int, v2: int) -> str:
    """One edit through the service layer; returns its audited outcome."""
    close_old_connections()
    current = KubeObject.objects.get(cluster=cluster, kind="TrafficSplit", name="bookstore-canary")
    try:
        set_split_weights(Actor.command_line("resilience"), cluster, "bookstore", "bookstore-canary",
                          {"bookstore-v1": v1, "bookstore-v2": v2}, base_resource_version=current.resource_version)
        return "succeeded"
    except ChangeError as error:
        return str(error.outcome)


def audit_outcomes() -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("outcome", flat=True))


@pytest.mark.scenario(name="API server down 30 s", injected="sandbox refuses connections for 30 s")
def test_api_server_down_marks_stale_recovers_and_outage_edits_fail_clearly(world, scenario):
    handle, cluster, _ = world
    with handle.cluster.refusing_connections():
        handle.cluster.drop_watches()
        wait_for(lambda: cluster_state(cluster) == "stale", timeout=20, what="stale during the outage")
        outcome = edit_weights(cluster, 10, 90)
        assert outcome == "failed"  # said clearly, not dropped
        handle.cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                              "metadata": {"name": "made-during-outage", "namespace": "bookstore"}})
        assert stored_weights(cluster) == [80, 20]  # the last known data stays visible
        started = time.monotonic()
        while time.monotonic() - started < 30:
            time.sleep(0.5)
    resumed = time.monotonic()
    wait_for(lambda: KubeObject.objects.filter(cluster=cluster, name="made-during-outage").exists(), timeout=30,
             what="the change made during the outage synced")
    wait_for(lambda: cluster_state(cluster) == "connected", timeout=30, what="connected again")
    scenario.recovery_seconds = time.monotonic() - resumed
    assert sandbox_weights(handle) == [80, 20]  # the failed edit did not half-happen
    assert audit_outcomes() == ["failed"]
    assert edit_weights(cluster, 70, 30) == "succeeded"
    assert audit_outcomes() == ["failed", "succeeded"] and verify().ok
    scenario.checked = "stale shown with last data; outage edit audited as failed; converged; next edit succeeds"


@pytest.mark.scenario(name="API server slow", injected="2 s latency on every request")
def test_slow_api_server_still_syncs_and_edits(world, scenario):
    handle, cluster, _ = world
    handle.cluster.set_latency(2.0)
    try:
        started = time.monotonic()
        assert edit_weights(cluster, 60, 40) == "succeeded"
        handle.cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                              "metadata": {"name": "made-while-slow", "namespace": "bookstore"}})
        wait_for(lambda: KubeObject.objects.filter(cluster=cluster, name="made-while-slow").exists(), timeout=30,
                 what="change synced while slow")
        wait_for(lambda: stored_weights(cluster) == [60, 40], timeout=30, what="edit visible")
        scenario.recovery_seconds = time.monotonic() - started
    finally:
        handle.cluster.set_latency(0)
    assert sandbox_weights(handle) == [60, 40]
    assert cluster_state(cluster) != "stale"
    scenario.checked = "edit succeeded within the client timeouts; change synced; never marked stale"


@pytest.mark.scenario(name="500/429 bursts", injected="next 30 requests answer 500, then 30 answer 429 Retry-After")
def test_error_bursts_converge_and_every_edit_attempt_is_audited(world, scenario):
    handle, cluster, _ = world
    handle.cluster.fail_next(30, status=500)
    handle.cluster.drop_watches()
    outcomes = [edit_weights(cluster, 50, 50)]
    handle.cluster.fail_next(30, status=429, retry_after=1)
    outcomes.append(edit_weights(cluster, 40, 60))
    handle.cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                          "metadata": {"name": "made-during-bursts", "namespace": "bookstore"}})
    started = time.monotonic()
    wait_for(lambda: KubeObject.objects.filter(cluster=cluster, name="made-during-bursts").exists(), timeout=60,
             what="converged after the bursts")
    wait_for(lambda: cluster_state(cluster) == "connected", timeout=60, what="connected again")
    scenario.recovery_seconds = time.monotonic() - started
    assert audit_outcomes() == outcomes and set(outcomes) <= {"failed", "succeeded"}
    intended = {0: [50, 50], 1: [40, 60]}
    succeeded = [intended[i] for i, outcome in enumerate(outcomes) if outcome == "succeeded"]
    final = succeeded[-1] if succeeded else [80, 20]  # the last edit that went through, else the original
    assert sandbox_weights(handle) == final
    wait_for(lambda: stored_weights(cluster) == final, timeout=30, what="inventory matches the cluster")
    assert verify().ok
    scenario.checked = f"edits audited as {outcomes}; cluster and inventory agree; chain verifies"


@pytest.mark.scenario(name="dropped watches", injected="every open watch cut 5 times while objects change")
def test_dropped_watches_lose_no_change(world, scenario):
    handle, cluster, _ = world
    started = time.monotonic()
    for round_number in range(5):
        handle.cluster.drop_watches()
        handle.cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                              "metadata": {"name": f"churn-{round_number}", "namespace": "storefront"}})
    wait_for(lambda: KubeObject.objects.filter(cluster=cluster, name__startswith="churn-").count() == 5,
             timeout=30, what="all five changes synced")
    scenario.recovery_seconds = time.monotonic() - started
    scenario.checked = "all 5 changes made between cuts are in the inventory"


def _sync_process(database_url: str) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url,
           "SYNC_LEASE_SECONDS": "3"}
    return subprocess.Popen([sys.executable, "manage.py", "sync"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (f"postgres://{settings.get('USER') or 'postgres'}@{settings.get('HOST') or '127.0.0.1'}:"
            f"{settings.get('PORT') or 5432}/{settings['NAME']}")


@pytest.mark.scenario(name="sync killed mid-list", injected="SIGKILL of the lease holder while it lists 4,000 objects")
def test_sync_killed_mid_list_is_replaced_and_converges(sandbox_factory, scenario):
    many = [{"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
             "metadata": {"name": f"split-{i}", "namespace": "bookstore"},
             "spec": {"service": "bookstore", "backends": [{"service": "bookstore-v1", "weight": 1}]}}
            for i in range(4000)]
    handle = sandbox_factory(objects=demo_objects() + many)
    (cluster,) = register_from_kubeconfig(handle.kubeconfig)
    processes = [_sync_process(_database_url()), _sync_process(_database_url())]
    try:
        holder = wait_for(lambda: holder_of(cluster.pk), timeout=30, what="a lease holder")
        wait_for(lambda: KubeObject.objects.filter(cluster=cluster, kind="TrafficSplit").exists(), timeout=30,
                 what="the listing under way")
        victim = next(p for p in processes if p.pid == int(holder.split(":")[1]))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        killed = time.monotonic()
        wait_for(lambda: KubeObject.objects.filter(cluster=cluster, kind="TrafficSplit").count() == 4002,
                 timeout=60, what="the other process converges")
        scenario.recovery_seconds = time.monotonic() - killed
        assert holder_of(cluster.pk) not in ("", holder)
        scenario.checked = "another process took the lease; all 4,002 TrafficSplits stored"
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)


@pytest.mark.skipif(not MAY_RESTART_SERVICES or not shutil.which("pg_ctlcluster"),
                    reason="restarts the machine's PostgreSQL: set SMI_UI_RESTART_SERVICES=1 (CI does)")
@pytest.mark.scenario(name="PostgreSQL restart", injected="pg_ctlcluster restart while sync runs")
def test_postgresql_restart_sync_and_web_reconnect(world, scenario, client):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL configuration")
    handle, cluster, _ = world
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   timeout=120)
    restarted = time.monotonic()
    handle.cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                          "metadata": {"name": "after-db-restart", "namespace": "bookstore"}})

    def synced_again() -> bool:
        try:
            return KubeObject.objects.filter(cluster=cluster, name="after-db-restart").exists()
        except Exception:
            connection.close()
            return False

    wait_for(synced_again, timeout=60, what="sync writes again after the restart")
    scenario.recovery_seconds = time.monotonic() - restarted
    connection.close()
    assert client.get("/readyz").status_code == 200
    scenario.checked = "sync stored a change made after the restart; /readyz ready; no process restarted"


@pytest.mark.skipif(not MAY_RESTART_SERVICES or not os.environ.get("REDIS_URL"),
                    reason="stops the machine's Redis: set SMI_UI_RESTART_SERVICES=1 with REDIS_URL (CI does)")
@pytest.mark.scenario(name="Redis down then back", injected="redis-cli shutdown, then redis-server started again")
def test_redis_outage_keeps_pages_up_and_publishing_resumes(world, scenario, admin_client):
    handle, cluster, _ = world
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], timeout=30, check=False)
    try:
        assert admin_client.get("/").status_code == 200  # pages do not need Redis
        assert admin_client.get("/readyz").status_code == 503
        handle.cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                              "metadata": {"name": "during-redis-outage", "namespace": "bookstore"}})
        wait_for(lambda: KubeObject.objects.filter(cluster=cluster, name="during-redis-outage").exists(),
                 timeout=30, what="sync keeps storing without Redis")
    finally:
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
                        "--save", "", "--appendonly", "no"], check=True, timeout=30)
    back = time.monotonic()
    wait_for(lambda: admin_client.get("/readyz").status_code == 200, timeout=30, what="ready again")
    change = run_on_own_loop(first_change_published(cluster, "bookstore", lambda: handle.cluster.apply(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "after-redis-outage",
                                                                    "namespace": "bookstore"}})), timeout=60)
    scenario.recovery_seconds = time.monotonic() - back
    assert (change["kind"], change["name"]) == ("ServiceAccount", "after-redis-outage")
    scenario.checked = ("pages 200 and sync kept storing during the outage; /readyz 503 then 200; "
                        "live change messages flow again")




async def first_change_published(cluster: Cluster, namespace: str, make_change) -> dict:
    """Join the namespace's group as a websocket consumer would, make a change, return the message sync sends."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(namespace_group(cluster.pk, namespace), channel)
    try:
        await asyncio.to_thread(make_change)
        while True:
            message = await asyncio.wait_for(layer.receive(channel), timeout=30)
            if message["type"] == "object.changed":
                return message
    finally:
        await layer.group_discard(namespace_group(cluster.pk, namespace), channel)


@pytest.mark.scenario(name="Prometheus down", injected="the metrics provider's Prometheus stopped, then started")
def test_prometheus_down_marks_metrics_unavailable_and_nothing_fails(world, scenario, admin_client, settings,
                                                                      tmp_path):
    handle, cluster, _ = world
    handle.cluster.attach_simulator()
    prometheus = PrometheusProcess(f"127.0.0.1:{handle.cluster.port}", PROMETHEUS_PATH, tmp_path)
    prometheus.start()
    settings.METRICS_PROVIDERS = {"*": {"provider": "prometheus", "url": prometheus.url, "flavour": "linkerd"}}
    settings.METRICS_POLL_SECONDS = 1
    settings.METRICS_WINDOW_SECONDS = 10
    pollers.subscribe(cluster.pk, "bookstore")
    try:
        poller = pollers.poller(cluster.pk, "bookstore")

        def figures_flowing() -> bool:
            latest = poller.latest
            return bool(latest and latest["available"] and latest["edges"])

        wait_for(figures_flowing, timeout=60, what="Prometheus figures")
        prometheus.stop()
        wait_for(lambda: poller.latest and not poller.latest["available"], timeout=30,
                 what="figures marked unavailable")
        assert "prometheus" in poller.latest["reason"].lower() or "connect" in poller.latest["reason"].lower()
        pages = ["/", "/readyz", f"/clusters/{cluster.name}/topology/", f"/clusters/{cluster.name}/topology.json",
                 f"/clusters/{cluster.name}/policy/", f"/clusters/{cluster.name}/objects/",
                 f"/clusters/{cluster.name}/objects/bookstore/trafficsplits/bookstore-canary/weights/",
                 f"/api/objects/{cluster.name}/bookstore/trafficsplits/bookstore-canary/"]
        statuses = {page: admin_client.get(page).status_code for page in pages}
        assert all(status < 500 for status in statuses.values()), statuses
        assert statuses["/readyz"] == 200  # the dashboard itself is ready: only figures are missing
        prometheus.start()
        back = time.monotonic()
        wait_for(figures_flowing, timeout=60, what="figures available again")
        scenario.recovery_seconds = time.monotonic() - back
    finally:
        pollers.stop_all()
        prometheus.stop()
    scenario.checked = (f"figures marked unavailable with the reason; {len(pages)} pages and APIs answered "
                        "without 5xx; figures back without a restart")
