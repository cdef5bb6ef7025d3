"""Sync benchmark: initial sync of a large cluster, and change-to-event latency.

Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
      .venv/bin/python benchmarks/sync.py [--splits 10000 --services 2000 --changes 1000]`

Against one sandbox cluster holding N SMI objects and M Services it measures, in the
same run: (1) the bare `kubernetes` client listing the same objects (baseline), (2) the
initial sync of all of them into the database, (3) the latency from a change in the
sandbox to its change event on the channel layer, over many changes. Prints the figures
and the ratio of (2) to (1). Uses a throwaway database (`<name>_bench`), never yours.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def world(splits: int, services: int) -> list[dict]:
    namespaces = [f"team-{i:02d}" for i in range(20)]
    objects: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}} for ns in namespaces]
    for i in range(services):
        objects.append({"apiVersion": "v1", "kind": "Service",
                        "metadata": {"name": f"svc-{i}", "namespace": namespaces[i % 20], "labels": {"app": f"a{i}"}},
                        "spec": {"selector": {"app": f"a{i}"}, "ports": [{"name": "http", "port": 8080}]}})
    for i in range(splits):
        ns = namespaces[i % 20]
        objects.append({"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
                        "metadata": {"name": f"split-{i}", "namespace": ns},
                        "spec": {"service": f"svc-{i % services}",
                                 "backends": [{"service": f"svc-{i % services}", "weight": 90},
                                              {"service": f"svc-{(i + 1) % services}", "weight": 10}]}})
    return objects


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=10_000)
    parser.add_argument("--services", type=int, default=2_000)
    parser.add_argument("--changes", type=int, default=1_000)
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    creation = connection.creation
    bench_name = f"{settings.DATABASES['default']['NAME']}_bench".replace(".sqlite3_bench", "_bench.sqlite3")
    connection.settings_dict["TEST"]["NAME"] = bench_name
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args, connection)
    finally:
        creation.destroy_test_db(bench_name, verbosity=0)


def run(args: argparse.Namespace, connection) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config

    from smi_ui.clusters.services import register_from_kubeconfig
    from smi_ui.clusters.sync import ClusterSync
    from smi_ui.inventory.models import KubeObject
    from smi_ui.kube.watch import WatchSettings
    from smi_ui.live.broadcast import set_serving_loop
    from smi_ui.live.groups import namespace_group
    from smi_ui.sandbox.server import SandboxCluster

    objects = world(args.splits, args.services)
    print(f"database: {connection.vendor}; channel layer: {type(get_channel_layer()).__name__}")
    print(f"world: {args.splits} TrafficSplits + {args.services} Services in 20 namespaces")
    sandbox = SandboxCluster("smi-sdk-go", objects, watch_window=args.changes * 3).start()
    kubeconfig = Path(tempfile.mkdtemp(prefix="smi-ui-bench-")) / "kubeconfig"
    sandbox.write_kubeconfig(kubeconfig)
    try:
        # (1) baseline: the bare official client lists the same objects, paginated like sync.
        api = k8s_config.new_client_from_config(str(kubeconfig))
        custom, core = k8s.CustomObjectsApi(api), k8s.CoreV1Api(api)
        started = time.perf_counter()
        listed = 0
        token = None
        while True:
            page = custom.list_cluster_custom_object("split.smi-spec.io", "v1alpha4", "trafficsplits", limit=500,
                                                     _continue=token)
            listed += len(page["items"])
            token = page["metadata"].get("continue")
            if not token:
                break
        token = None
        while True:
            page = core.list_service_for_all_namespaces(limit=500, _continue=token)
            listed += len(page.items)
            token = page.metadata._continue
            if not token:
                break
        bare = time.perf_counter() - started
        print(f"bare kubernetes client list: {listed} objects in {bare:.2f}s")

        # (2) initial sync into the database.
        (cluster,) = register_from_kubeconfig(kubeconfig)
        wanted = args.splits + args.services
        sync = ClusterSync(cluster, watch_settings=WatchSettings(watch_timeout_seconds=300))
        started = time.perf_counter()
        sync.start()
        while KubeObject.objects.filter(cluster=cluster, kind__in=["TrafficSplit", "Service"]).count() < wanted:
            time.sleep(0.05)
        initial = time.perf_counter() - started
        print(f"initial sync into {connection.vendor}: {wanted} objects in {initial:.2f}s "
              f"({wanted / initial:.0f} objects/s)")
        print(f"ratio initial sync / bare list: {initial / bare:.2f}x (target <= 2x)")

        # (3) change -> change event on the channel layer.
        layer = get_channel_layer()
        lags: list[float] = []
        sent: dict[str, float] = {}
        done = threading.Event()

        async def listen() -> None:
            set_serving_loop(asyncio.get_running_loop())
            channel = await layer.new_channel()
            await layer.group_add(namespace_group(cluster.pk, "team-00"), channel)
            ready.set()
            while len(lags) < args.changes:
                message = await asyncio.wait_for(layer.receive(channel), timeout=30)
                if message["name"] in sent:
                    lags.append(time.perf_counter() - sent.pop(message["name"]))
            done.set()

        ready = threading.Event()
        listener = threading.Thread(target=async_to_sync(listen), daemon=True)
        listener.start()
        ready.wait(10)
        time.sleep(1)  # let the watches settle after the initial listing
        for i in range(args.changes):
            name = f"split-{(i * 20) % args.splits}"
            sent[name] = time.perf_counter()
            sandbox.apply({"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
                           "metadata": {"name": name, "namespace": "team-00", "labels": {"round": str(i)}},
                           "spec": {"service": "svc-0", "backends": [{"service": "svc-0", "weight": 90},
                                                                     {"service": "svc-1", "weight": 10 + i}]}})
            while name in sent and not done.is_set():
                time.sleep(0.0005)
        done.wait(30)
        ms = [lag * 1000 for lag in lags]
        print(f"change -> event over {len(ms)} changes: p50 {statistics.median(ms):.1f} ms, "
              f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms (target p99 <= 100 ms)")
        sync.stop()
    finally:
        sandbox.stop()
        kubeconfig.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
