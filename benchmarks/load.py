"""Load benchmark: many API readers and editors against two web processes sharing PostgreSQL and Redis.

Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
      .venv/bin/python benchmarks/load.py [--readers 200 --editors 20 --seconds 60]`

Two daphne processes serve the same throwaway database (`<name>_bench`); a sandbox cluster holds
the demo world plus one TrafficSplit per editor. Readers list and read objects; each editor
changes its own split's weights over and over, based on the resourceVersion it last saw (a
409 makes it re-read and go on). Printed: requests, error rate, p50/p99 latency per kind of
request, and the audit check: exactly one audit entry per edit attempt, none duplicated,
and the hash chain intact. Baseline in the same run: `/healthz`, which touches no database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    bench_name = f"{connection.settings_dict['NAME']}_bench".replace(".sqlite3_bench", "_bench.sqlite3")
    connection.settings_dict["TEST"]["NAME"] = bench_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args, connection)
    finally:
        connection.creation.destroy_test_db(bench_name, verbosity=0)


def run(args: argparse.Namespace, connection) -> None:
    import aiohttp

    from smi_ui.accounts.roles import Role
    from smi_ui.accounts.tokens import issue_token
    from smi_ui.audit.chain import verify
    from smi_ui.audit.models import AuditEntry
    from smi_ui.clusters.services import register_from_kubeconfig
    from smi_ui.clusters.sync import ClusterSync
    from smi_ui.inventory.models import KubeObject
    from smi_ui.sandbox.demo import demo_objects
    from smi_ui.sandbox.server import SandboxCluster
    from tests.edit_support import make_user

    splits = [{"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
               "metadata": {"name": f"load-{i}", "namespace": "bookstore"},
               "spec": {"service": "bookstore", "backends": [{"service": "bookstore-v1", "weight": 50},
                                                             {"service": "bookstore-v2", "weight": 50}]}}
              for i in range(args.editors)]
    sandbox = SandboxCluster("smi-sdk-go", demo_objects() + splits).start()
    kubeconfig = Path(tempfile.mkdtemp(prefix="smi-ui-load-")) / "kubeconfig"
    sandbox.write_kubeconfig(kubeconfig)
    (cluster,) = register_from_kubeconfig(kubeconfig)
    sync = ClusterSync(cluster)
    sync.start()
    while KubeObject.objects.filter(cluster=cluster, name__startswith="load-").count() < args.editors:
        time.sleep(0.1)
    reader_token = issue_token(make_user("load-reader", Role.VIEWER), "load")[1]
    editor_token = issue_token(make_user("load-editor", Role.OPERATOR), "load")[1]

    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        database_url = f"sqlite:///{settings_dict['NAME']}"
    else:
        user, host = settings_dict.get("USER") or "postgres", settings_dict.get("HOST") or "127.0.0.1"
        database_url = f"postgres://{user}@{host}:{settings_dict.get('PORT') or 5432}/{settings_dict['NAME']}"
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING"}
    ports = [free_port(), free_port()]
    log_path = kubeconfig.parent / "web.log"
    log = log_path.open("w")
    print(f"web process logs: {log_path}")
    servers = [subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                 "smi_ui.asgi:application"], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=log) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    audit_before = AuditEntry.objects.count()
    try:
        asyncio.run(_wait_ready(bases))
        print(f"database: {connection.vendor}; web processes: {len(bases)}; readers {args.readers}, "
              f"editors {args.editors}, {args.seconds:.0f} s")
        results = asyncio.run(_load(aiohttp, bases, cluster.name, reader_token, editor_token, args))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=15)
        sync.stop()
        sandbox.stop()

    attempts = results.pop("_edit_attempts")
    for name, (latencies, errors) in sorted(results.items()):
        total = len(latencies) + errors
        print(f"{name:<9} {total:>7} requests  errors {errors / max(total, 1):6.2%}  "
              f"p50 {percentile(latencies, 0.5) * 1000:7.1f} ms  p99 {percentile(latencies, 0.99) * 1000:7.1f} ms"
              f"  ({len(latencies) / args.seconds:.0f}/s)")
    entries = AuditEntry.objects.count() - audit_before
    duplicated = (AuditEntry.objects.values("request_id").exclude(request_id="").count()
                  - AuditEntry.objects.exclude(request_id="").values("request_id").distinct().count())
    report = verify()
    print(f"audit: {attempts} edit attempts answered, {entries} entries written, "
          f"{'none lost' if entries >= attempts else f'{attempts - entries} LOST'}, "
          f"{duplicated} duplicated request ids, chain {'verifies' if report.ok else f'BROKEN at {report.broken}'}")
    print(f"baseline /healthz p50 {percentile(results.get('healthz', ([], 0))[0], 0.5) * 1000:.1f} ms")


async def _wait_ready(bases: list[str]) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        for base in bases:
            for _ in range(300):
                try:
                    async with session.get(base + "/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)


async def _load(aiohttp, bases, cluster, reader_token, editor_token, args) -> dict:
    results: dict[str, tuple[list[float], int]] = defaultdict(lambda: ([], 0))
    deadline = time.monotonic() + args.seconds
    attempts = 0
    first_errors: dict[str, str] = {}

    def record(name: str, started: float, ok: bool) -> None:
        latencies, errors = results[name]
        if ok:
            latencies.append(time.monotonic() - started)
        else:
            results[name] = (latencies, errors + 1)

    async def reader(index: int, session) -> None:
        headers = {"Authorization": f"Bearer {reader_token}"}
        base = bases[index % len(bases)]
        paths = [("list", f"/api/objects/?cluster={cluster}&kind=TrafficSplit&limit=50"),
                 ("detail", f"/api/objects/{cluster}/bookstore/trafficsplits/bookstore-canary/"),
                 ("healthz", "/healthz")]
        while time.monotonic() < deadline:
            name, path = random.choice(paths)
            started = time.monotonic()
            try:
                async with session.get(base + path, headers=headers) as response:
                    body = await response.read()
                    record(name, started, response.status == 200)
                    if response.status != 200 and name not in first_errors:
                        first_errors[name] = f"{response.status} {body[:300]!r}"
            except aiohttp.ClientError:
                record(name, started, False)

    async def editor(index: int, session) -> None:
        nonlocal attempts
        headers = {"Authorization": f"Bearer {editor_token}"}
        base = bases[index % len(bases)]
        url = f"{base}/api/objects/{cluster}/bookstore/trafficsplits/load-{index}/"
        async with session.get(url, headers=headers) as response:
            version = (await response.json())["resource_version"]
        while time.monotonic() < deadline:
            weight = random.randint(1, 99)
            body = {"base_resource_version": version, "weights": {"bookstore-v1": weight, "bookstore-v2": 100 - weight}}
            started = time.monotonic()
            try:
                async with session.post(url + "weights/", json=body, headers=headers) as response:
                    payload = await response.json()
                    attempts += 1
                    if response.status == 200:
                        version = payload["resource_version"]
                    elif response.status == 409:
                        version = payload["current"]["metadata"]["resourceVersion"]
                    record("edit", started, response.status in (200, 409))
                    if response.status not in (200, 409) and "edit" not in first_errors:
                        first_errors["edit"] = f"{response.status} {str(payload)[:300]}"
            except aiohttp.ClientError:
                record("edit", started, False)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        await asyncio.gather(*[reader(i, session) for i in range(args.readers)],
                             *[editor(i, session) for i in range(args.editors)])
    for name, error in sorted(first_errors.items()):
        print(f"first {name} error: {error}")
    out = dict(results)
    out["_edit_attempts"] = attempts
    return out


if __name__ == "__main__":
    main()
