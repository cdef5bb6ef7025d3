"""Several `manage.py sync` processes: each cluster is watched by exactly one, and a dead
holder's clusters are taken over within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from smi_ui.clusters.leases import holder_of
from smi_ui.clusters.models import Cluster
from smi_ui.clusters.services import register_from_kubeconfig
from smi_ui.inventory.models import KubeObject
from smi_ui.sandbox.demo import demo_objects
from tests.conditions import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    return f"postgres://{user}@{settings.get('HOST') or '127.0.0.1'}:{settings.get('PORT') or 5432}/{settings['NAME']}"


def start_sync_process() -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(),
           "SYNC_LEASE_SECONDS": str(LEASE_SECONDS)}
    return subprocess.Popen([sys.executable, "manage.py", "sync"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def agents_in_order(sandbox) -> list[str]:
    """The sync process of every request the sandbox received, in arrival order."""
    return [r.user_agent.split("/", 1)[1] for r in sandbox.cluster.requests
            if r.user_agent.startswith("smi-ui-sync/")]


def test_one_process_watches_a_cluster_and_a_killed_holder_is_replaced(sandbox_factory):
    handle = sandbox_factory(objects=demo_objects())
    (cluster,) = register_from_kubeconfig(handle.kubeconfig)
    first, second = start_sync_process(), start_sync_process()
    processes = {first, second}
    try:
        wait_for(lambda: holder_of(cluster.pk), timeout=30, what="a process holds the lease")
        wait_for(lambda: KubeObject.objects.filter(cluster=cluster, kind="TrafficSplit").count() == 2, timeout=30,
                 what="cluster synced")
        holder = holder_of(cluster.pk)
        assert set(agents_in_order(handle)) == {holder}  # the other process never sent a request

        pid = int(holder.split(":")[1])
        victim = next(p for p in processes if p.pid == pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        killed_at = time.monotonic()
        handle.cluster.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                              "metadata": {"name": "after-handover", "namespace": "bookstore"}})
        wait_for(lambda: holder_of(cluster.pk) not in ("", holder), timeout=LEASE_SECONDS * 4,
                 what="the other process takes the lease")
        wait_for(lambda: KubeObject.objects.filter(cluster=cluster, name="after-handover").exists(), timeout=30,
                 what="the new holder converges")
        handover_seconds = time.monotonic() - killed_at
        assert handover_seconds < LEASE_SECONDS * 4
        order = agents_in_order(handle)
        new_holder = holder_of(cluster.pk)
        assert set(order) == {holder, new_holder}
        assert order.index(new_holder) > max(i for i, agent in enumerate(order) if agent == holder)
        print(f"\nsync lease handover after SIGKILL: {handover_seconds:.1f}s (lease {LEASE_SECONDS}s)")
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)
        Cluster.objects.all().delete()
