"""Sync benchmark: initial sync of a large cluster, change-to-event latency, and ingestion throughput.

Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
      .venv/bin/python benchmarks/sync.py [--splits 10000 --services 2000 --changes 1000 --bursts 1000,10000]`
     `.venv/bin/python benchmarks/sync.py --kubeconfig ~/.kube/config [--context NAME]`  (an external cluster)

Against one sandbox cluster holding N SMI objects and M Services (or, with `--kubeconfig`,
an external cluster, where only Services in a throwaway namespace are written) it measures,
in the same run: (1) the bare `kubernetes` client listing the same objects (baseline),
(2) the initial sync of all of them into the database, (3) the latency from a change to
its change event on the channel layer, over many sequential changes, (4) ingestion
throughput: bursts of changes (1,000 patches, then 10,000 creates by default) written as
fast as the cluster takes them, timed until all are in the inventory, beside a bare
`kubernetes` watch (in a process of its own) counting the same events. Prints the figures
and the ratios. Uses a throwaway database (`<name>_bench`), never yours. Every wait has a
timeout: a stuck step is reported as such and the run goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

BENCH_NAMESPACE = "smi-ui-bench"
STEP_TIMEOUT = 600.0  # seconds any single step may take before it is reported as stuck


def world(splits: int, services: int) -> list[dict]:
    namespaces = [f"team-{i:02d}" for i in range(20)]
    objects: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
                           for ns in [*namespaces, BENCH_NAMESPACE]]
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


def bench_service(name: str, burst: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": BENCH_NAMESPACE, "labels": {"burst": burst}},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80}]}}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def wait_until(condition: Callable[[], Any], timeout: float, interval: float = 0.05) -> bool:
    """Poll until `condition` holds; False (never an endless wait) when `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def raw_watch(kubeconfig: str, context: str | None, resource_version: str, burst: str, wanted: int,
              timeout: float, results: Any) -> None:
    """A bare `kubernetes` watch of the bench namespace's Services, counting one burst's events (own process)."""
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config
    from kubernetes import watch as k8s_watch

    api = k8s.CoreV1Api(k8s_config.new_client_from_config(kubeconfig, context=context))
    seen = 0
    first = last = None
    deadline = time.monotonic() + timeout
    results.put(("ready", time.time()))
    watcher = k8s_watch.Watch()
    try:
        while seen < wanted and time.monotonic() < deadline:
            for event in watcher.stream(api.list_namespaced_service, BENCH_NAMESPACE, resource_version=resource_version,
                                        timeout_seconds=int(max(1, deadline - time.monotonic())),
                                        _request_timeout=max(1.0, deadline - time.monotonic()) + 5):
                obj = event["object"]
                resource_version = obj.metadata.resource_version or resource_version
                if (obj.metadata.labels or {}).get("burst") == burst:
                    seen += 1
                    first = first or time.time()
                    last = time.time()
                    if seen >= wanted:
                        watcher.stop()
                        break
    except Exception as error:  # reported, never hangs the benchmark
        results.put(("error", f"{type(error).__name__}: {error}"))
    results.put(("done", (seen, first, last)))


class Target:
    """Where the changes go: the in-process sandbox, or an external cluster through the official client."""

    def __init__(self, kubeconfig: Path, context: str | None, sandbox: Any = None):
        from kubernetes import client as k8s
        from kubernetes import config as k8s_config

        self.kubeconfig = kubeconfig
        self.context = context
        self.sandbox = sandbox
        self.api = k8s_config.new_client_from_config(str(kubeconfig), context=context)
        self.core = k8s.CoreV1Api(self.api)
        self.custom = k8s.CustomObjectsApi(self.api)

    def ensure_namespace(self) -> None:
        from kubernetes.client.rest import ApiException

        try:
            self.core.create_namespace({"metadata": {"name": BENCH_NAMESPACE}})
        except ApiException as error:
            if error.status != 409:
                raise

    def remove_namespace(self) -> None:
        if self.sandbox is None:
            self.core.delete_namespace(BENCH_NAMESPACE, _request_timeout=30)

    def current_version(self) -> str:
        return self.core.list_namespaced_service(BENCH_NAMESPACE, limit=1).metadata.resource_version

    def write(self, objects: list[dict], *, create: bool) -> None:
        """Write as fast as the cluster takes them: in-process for the sandbox, 8 clients for a real server."""
        if self.sandbox is not None:
            for start in range(0, len(objects), 200):
                self.sandbox.apply(*objects[start:start + 200])
            return

        def send(obj: dict) -> None:
            if create:
                self.core.create_namespaced_service(BENCH_NAMESPACE, obj, _request_timeout=30)
            else:
                self.core.patch_namespaced_service(obj["metadata"]["name"], BENCH_NAMESPACE,
                                                   {"metadata": {"labels": obj["metadata"]["labels"]}},
                                                   _request_timeout=30)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(send, objects))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=10_000)
    parser.add_argument("--services", type=int, default=2_000)
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument("--bursts", default="1000,10000", help="burst sizes: the first patches, later ones create")
    parser.add_argument("--kubeconfig", type=Path, help="measure this external cluster instead of a sandbox")
    parser.add_argument("--context", help="the kubeconfig context (default: its current context)")
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


def run(args: argparse.Namespace, connection: Any) -> None:
    from channels.layers import get_channel_layer

    from smi_ui.clusters.services import register_from_kubeconfig
    from smi_ui.sandbox.server import SandboxCluster

    bursts = [int(size) for size in args.bursts.split(",") if size.strip()]
    print(f"database: {connection.vendor}; channel layer: {type(get_channel_layer()).__name__}")
    sandbox = None
    workdir = Path(tempfile.mkdtemp(prefix="smi-ui-bench-"))
    if args.kubeconfig is None:
        print(f"world: {args.splits} TrafficSplits + {args.services} Services in 20 namespaces (sandbox)")
        sandbox = SandboxCluster("smi-sdk-go", world(args.splits, args.services),
                                 watch_window=args.changes * 3 + 2 * sum(bursts)).start()
        kubeconfig = workdir / "kubeconfig"
        sandbox.write_kubeconfig(kubeconfig)
    else:
        kubeconfig = args.kubeconfig.expanduser()
        print(f"external cluster: {kubeconfig} context {args.context or '(current)'}")
    try:
        target = Target(kubeconfig, args.context, sandbox)
        target.ensure_namespace()
        (cluster,) = register_from_kubeconfig(kubeconfig, context=args.context)
        bare = bare_list(target, has_splits=sandbox is not None)
        sync = initial_sync(cluster, bare)
        try:
            if sandbox is not None:
                latency(cluster, sandbox, args.changes, args.splits)
            for number, size in enumerate(bursts):
                ingestion(cluster, target, size, create=number > 0)
        finally:
            sync.stop(timeout=10)
    finally:
        try:
            target.remove_namespace()
        except Exception as error:  # cleaning up an external cluster is best effort
            print(f"could not remove namespace {BENCH_NAMESPACE}: {error}")
        if sandbox is not None:
            sandbox.stop()
            (workdir / "kubeconfig").unlink(missing_ok=True)


def bare_list(target: Target, *, has_splits: bool) -> tuple[int, float]:
    """(1) baseline: the bare official client lists the same objects, paginated like sync."""
    started = time.perf_counter()
    listed = 0
    token = None
    while has_splits:
        page = target.custom.list_cluster_custom_object("split.smi-spec.io", "v1alpha4", "trafficsplits", limit=500,
                                                        _continue=token, _request_timeout=60)
        listed += len(page["items"])
        token = page["metadata"].get("continue")
        if not token:
            break
    token = None
    while True:
        page = target.core.list_service_for_all_namespaces(limit=500, _continue=token, _request_timeout=60)
        listed += len(page.items)
        token = page.metadata._continue
        if not token:
            break
    elapsed = time.perf_counter() - started
    print(f"bare kubernetes client list: {listed} objects in {elapsed:.2f}s")
    return listed, elapsed


def initial_sync(cluster: Any, bare: tuple[int, float]) -> Any:
    """(2) initial sync into the database, compared with the bare list."""
    from smi_ui.clusters.models import Cluster
    from smi_ui.clusters.sync import ClusterSync
    from smi_ui.inventory.models import KubeObject
    from smi_ui.kube.watch import WatchSettings

    wanted, bare_seconds = bare
    sync = ClusterSync(cluster, watch_settings=WatchSettings(watch_timeout_seconds=300))
    started = time.perf_counter()
    sync.start()
    done = wait_until(lambda: KubeObject.objects.filter(cluster=cluster, kind__in=["TrafficSplit", "Service"]).count()
                      >= wanted, STEP_TIMEOUT)
    elapsed = time.perf_counter() - started
    if not done:
        print(f"initial sync: NOT finished after {elapsed:.0f}s")
        return sync
    print(f"initial sync: {wanted} objects in {elapsed:.2f}s ({wanted / elapsed:.0f} objects/s)")
    print(f"ratio initial sync / bare list: {elapsed / bare_seconds:.2f}x (target <= 2x)")
    wait_until(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", 60)
    return sync


def latency(cluster: Any, sandbox: Any, changes: int, splits: int) -> None:
    """(3) change -> change event on the channel layer, one change at a time."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from smi_ui.live.broadcast import set_serving_loop
    from smi_ui.live.groups import namespace_group

    layer = get_channel_layer()
    lags: list[float] = []
    sent: dict[str, float] = {}
    ready, done = threading.Event(), threading.Event()

    async def listen() -> None:
        set_serving_loop(asyncio.get_running_loop())
        channel = await layer.new_channel()
        await layer.group_add(namespace_group(cluster.pk, "team-00"), channel)
        ready.set()
        try:
            while len(lags) < changes and not done.is_set():
                try:
                    message = await asyncio.wait_for(layer.receive(channel), timeout=1)
                except TimeoutError:
                    continue
                name = message.get("name")  # an objects.resynced message names no object
                if name in sent:
                    lags.append(time.perf_counter() - sent.pop(name))
        finally:
            done.set()

    listener = threading.Thread(target=async_to_sync(listen), daemon=True)
    listener.start()
    if not ready.wait(10):
        print("change -> event: the listener did not start")
        return
    time.sleep(1)  # let the watches settle after the initial listing
    missed = 0
    for i in range(changes):
        if done.is_set():
            break
        name = f"split-{(i * 20) % splits}"
        sent[name] = time.perf_counter()
        sandbox.apply({"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
                       "metadata": {"name": name, "namespace": "team-00", "labels": {"round": str(i)}},
                       "spec": {"service": "svc-0", "backends": [{"service": "svc-0", "weight": 90},
                                                                 {"service": "svc-1", "weight": 10 + i}]}})
        if not wait_until(lambda name=name: name not in sent or done.is_set(), 10, interval=0.0005):
            sent.pop(name, None)
            missed += 1
    done.set()
    listener.join(5)
    if not lags:
        print("change -> event: no event arrived")
        return
    ms = [lag * 1000 for lag in lags]
    print(f"change -> event over {len(ms)} changes ({missed} missed): p50 {statistics.median(ms):.1f} ms, "
          f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms (target p99 <= 100 ms)")


def ingestion(cluster: Any, target: Target, size: int, *, create: bool) -> None:
    """(4) a burst written as fast as the cluster takes it: until all are in the inventory, beside a bare watch."""
    from smi_ui.inventory.models import KubeObject

    burst = uuid.uuid4().hex[:8]
    what = "creates" if create else "patches"
    existing = KubeObject.objects.filter(cluster=cluster, kind="Service", namespace=BENCH_NAMESPACE).count()
    if not create and existing < size:  # objects to patch: made (and ingested) first, outside the timing
        target.write([bench_service(f"bench-{i}", "setup") for i in range(existing, size)], create=True)
        wait_until(lambda: KubeObject.objects.filter(cluster=cluster, kind="Service",
                                                     namespace=BENCH_NAMESPACE).count() >= size, STEP_TIMEOUT)
    objects = [bench_service(f"new-{burst}-{i}" if create else f"bench-{i}", burst) for i in range(size)]
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    watcher = context.Process(target=raw_watch, args=(str(target.kubeconfig), target.context, target.current_version(),
                                                      burst, size, STEP_TIMEOUT, results), daemon=True)
    watcher.start()
    try:
        results.get(timeout=60)  # the watcher process is up
    except Exception:
        print(f"burst of {size} {what}: the bare watch did not start")
        watcher.kill()
        return
    time.sleep(1)  # its watch is open
    started = time.time()
    target.write(objects, create=create)
    written = time.time()

    def ingested() -> bool:
        return KubeObject.objects.filter(cluster=cluster, kind="Service", namespace=BENCH_NAMESPACE,
                                         labels__burst=burst).count() >= size

    complete = wait_until(ingested, STEP_TIMEOUT)
    finished = time.time()
    seen, raw_last = 0, None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            kind, value = results.get(timeout=max(0.1, deadline - time.monotonic()))
        except Exception:
            break
        if kind == "error":
            print(f"  bare watch: {value}")
        elif kind == "done":
            seen, _, raw_last = value
            break
    watcher.join(5)
    if watcher.is_alive():
        watcher.kill()
    send_rate = size / (written - started)
    print(f"burst of {size} {what}: written in {written - started:.2f}s ({send_rate:.0f}/s)")
    if raw_last and seen >= size:
        raw_rate = size / (raw_last - started)
        print(f"  bare watch: all {size} events {raw_last - written:.2f}s after the last write "
              f"({raw_rate:.0f} events/s)")
    else:
        raw_rate = None
        print(f"  bare watch: saw {seen} of {size} events")
    if not complete:
        have = KubeObject.objects.filter(cluster=cluster, namespace=BENCH_NAMESPACE, labels__burst=burst).count()
        print(f"  inventory: NOT complete after {finished - started:.0f}s ({have} of {size})")
        return
    rate = size / (finished - started)
    print(f"  inventory: all {size} stored {finished - written:.2f}s after the last write "
          f"(lag), {rate:.0f} events/s sustained")
    if raw_rate:
        print(f"  inventory / bare watch rate: {rate / raw_rate:.0%} (target >= 50%)")


if __name__ == "__main__":
    main()
