"""Topology benchmark: building the payload of a 2,000-Service / 10,000-edge mesh, and its first render in Chromium.

Run: `.venv/bin/python benchmarks/topology.py [--namespaces 20 --services 100 --repeat 9 --no-full-render]`

Synthetic inventory (no cluster needed): N namespaces x M Services, each with a Deployment
and a ServiceAccount; per namespace one TCPRoute, one TrafficTarget per destination letting
three same-namespace callers and one caller of the next namespace in (4 allowed edges per
Service), and a TrafficSplit with two backends for every other Service (1 split edge per
Service). With the defaults: 2,000 Services, 8,000 allowed + 2,000 split = 10,000 edges.

Measured in the same run:
1. `topology_payload` on the rows (what the view does after its query), aggregated as the
   page first asks for it, with one namespace expanded, and fully detailed. Baselines:
   the same function on one namespace of the same shape (100 Services), and `json.dumps`
   of the fully detailed payload (the cost of merely serialising that much data).
2. GET topology.json through the WSGI app over HTTP (query + build + JSON), 2,000 vs 100 Services.
3. Time to first render in headless Chromium (/usr/bin/chromium): from navigation start to
   the graph being laid out and drawn (`data-ready`), for the 2,000-Service cluster, the
   100-Service cluster (baseline), and, unless --no-full-render, the 2,000 Services drawn
   without aggregation (what aggregation saves). Uses a throwaway database (`*_bench`).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
CHROMIUM = "/usr/bin/chromium"
READY = """() => [smiTopology.drawnAt, performance.getEntriesByType('navigation')[0].responseEnd,
                 smiTopology.drawnAt - smiTopology.startedAt, smiTopology.cy.elements().length]"""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def synthetic_objects(namespaces: int, services: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(kind, namespace, name, normalized) of a mesh shaped as described in the module docstring."""
    names = [f"team-{i:02d}" for i in range(namespaces)]
    out: list[tuple[str, str, str, dict[str, Any]]] = []
    for index, ns in enumerate(names):
        following = names[(index + 1) % namespaces]
        out.append(("Namespace", "", ns, {}))
        out.append(("TCPRoute", ns, "all", {"ports": []}))
        for i in range(services):
            app = f"svc-{i}"
            out.append(("Service", ns, app, {"selector": {"app": app}}))
            out.append(("Deployment", ns, app, {"selector": {"app": app}, "pod_labels": {"app": app},
                                                "service_account": f"sa-{i}"}))
            out.append(("ServiceAccount", ns, f"sa-{i}", {}))
            sources = [{"kind": "ServiceAccount", "name": f"sa-{(i + k) % services}", "namespace": ns}
                       for k in (1, 2, 3)]
            sources.append({"kind": "ServiceAccount", "name": f"sa-{i}", "namespace": following})
            out.append(("TrafficTarget", ns, f"to-{app}", {
                "destination": {"kind": "ServiceAccount", "name": f"sa-{i}", "namespace": ns},
                "rules": [{"kind": "TCPRoute", "name": "all"}], "sources": sources}))
            if i % 2 == 0:
                other = f"svc-{(i + 1) % services}"
                out.append(("TrafficSplit", ns, f"split-{i}", {
                    "service": app, "backends": [{"service": app, "weight": 90}, {"service": other, "weight": 10}],
                    "shares": {app: {"percent": 90.0}, other: {"percent": 10.0}}}))
    return out


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and median CPU time (this process) in ms over `repeat` runs after a warm-up, and the last result.

    CPU time leaves out waiting for a core, which on a shared machine is most of the noise.
    """
    result = function()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = function()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu), result


def without_gc(function: Callable[[], Any]) -> Any:
    """Diagnostic: how much of the build is the cyclic garbage collector walking many small objects."""
    gc.disable()
    try:
        return function()
    finally:
        gc.enable()


def payload_figures(args: argparse.Namespace) -> dict[str, float]:
    from smi_ui.policy.inputs import Row
    from smi_ui.web.topology import topology_payload

    rows = [Row(*item) for item in synthetic_objects(args.namespaces, args.services) if item[0] != "Namespace"]
    one = [row for row in rows if row.namespace == "team-00"]
    figures: dict[str, tuple[float, float]] = {}
    results: dict[str, Any] = {}
    for name, build in (("100-Service payload (baseline)", lambda: topology_payload(one)),
                        ("aggregated (first view)", lambda: topology_payload(rows)),
                        ("one namespace expanded", lambda: topology_payload(rows, expand=["team-00"])),
                        ("fully detailed", lambda: topology_payload(rows, collapse_above=10**9))):
        wall, cpu, results[name] = timed(build, args.repeat)
        figures[name] = (wall, cpu)
    wall, cpu, _ = timed(lambda: without_gc(lambda: topology_payload(rows)), args.repeat)
    figures["aggregated, collector paused"] = (wall, cpu)
    full = results["fully detailed"]
    wall, cpu, _ = timed(lambda: json.dumps(full), args.repeat)
    figures["json.dumps(detailed) (baseline)"] = (wall, cpu)
    small, aggregated = results["100-Service payload (baseline)"], results["aggregated (first view)"]
    print(f"inventory: {len(rows)} rows, {aggregated['totals']['services']} Services, "
          f"{aggregated['totals']['edges']} edges (baseline: one namespace, {small['totals']['services']} Services, "
          f"{small['totals']['edges']} edges)")
    print(f"{'payload':34} {'wall ms':>8} {'CPU ms':>8}  size")
    for name, (wall, cpu) in figures.items():
        result = results.get(name)
        size = (f"{len(result['nodes'])} nodes, {len(result['edges'])} edges, "
                f"{len(json.dumps(result)) / 1024:.0f} KiB") if result else ""
        print(f"{name:34} {wall:8.1f} {cpu:8.1f}  {size}")
    wall, cpu = figures["aggregated (first view)"]
    base_wall, base_cpu = figures["100-Service payload (baseline)"]
    dumps_wall, dumps_cpu = figures["json.dumps(detailed) (baseline)"]
    print(f"ratios (CPU): aggregated / 100-Service = {cpu / base_cpu:.1f}x for x20 Services; "
          f"aggregated / json.dumps(detailed) = {cpu / dumps_cpu:.1f}x; "
          f"target <= 200 ms: {'met' if wall <= 200 else 'missed'} (wall), {'met' if cpu <= 200 else 'missed'} (CPU)")
    return {name: wall for name, (wall, _) in figures.items()}


def store(cluster: Any, objects: list[tuple[str, str, str, dict[str, Any]]]) -> None:
    from django.utils import timezone

    from smi_ui.inventory.models import KubeObject

    now = timezone.now()
    KubeObject.objects.bulk_create([
        KubeObject(cluster=cluster, api_version="v1", kind=kind, namespace=ns, name=name, uid=f"{kind}/{ns}/{name}",
                   resource_version="1", raw={"kind": kind, "metadata": {"name": name, "namespace": ns}},
                   normalized=normalized, observed_at=now)
        for kind, ns, name, normalized in objects], batch_size=1000)


def serve() -> tuple[Any, str]:
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def render_figures(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.test import override_settings
    from playwright.sync_api import sync_playwright

    from smi_ui.accounts.models import Grant
    from smi_ui.accounts.roles import Role
    from smi_ui.clusters.models import Cluster

    started = time.perf_counter()
    big = Cluster.objects.create(name="bench-large")
    small = Cluster.objects.create(name="bench-small")
    store(big, synthetic_objects(args.namespaces, args.services))
    store(small, synthetic_objects(1, args.services))
    user = get_user_model().objects.create_user(username="bench", password="bench-password-long")
    Grant.objects.create(user=user, role=Role.VIEWER, cluster=None, namespace="")
    print(f"database filled in {time.perf_counter() - started:.1f} s")
    server, base = serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(base_url=base, viewport={"width": 1360, "height": 900})
            page = context.new_page()
            page.set_default_timeout(180_000)
            page.goto("/login/")
            page.fill('input[name="username"]', "bench")
            page.fill('input[name="password"]', "bench-password-long")
            page.click('button[type="submit"], input[type="submit"]')
            page.wait_for_url("**/")

            def json_ms(cluster: str) -> float:
                def get() -> int:
                    return page.request.get(f"/clusters/{cluster}/topology.json").status
                return timed(get, args.repeat)[0]

            def first_render(cluster: str, query: str = "") -> dict[str, float]:
                """Median over a few loads: total (navigation start -> first picture), server response, graph script."""
                samples: list[list[float]] = []
                for _ in range(max(3, args.repeat // 3)):
                    page.goto(f"/clusters/{cluster}/topology/{query}")
                    page.wait_for_function("() => window.smiTopology && smiTopology.drawnAt")
                    samples.append(page.evaluate(READY))
                return {key: statistics.median(s[i] for s in samples)
                        for i, key in enumerate(("ms", "response", "script", "elements"))}

            def describe(render: dict[str, float]) -> str:
                return (f"{render['ms']:6.0f} ms (server response {render['response']:.0f} ms, graph script "
                        f"{render['script']:.0f} ms, {render['elements']:.0f} elements)")

            large_json, small_json = json_ms("bench-large"), json_ms("bench-small")
            print(f"GET topology.json (query + build + JSON): 2,000 Services {large_json:.1f} ms, "
                  f"100 Services {small_json:.1f} ms, ratio {large_json / small_json:.1f}x")
            small_render = first_render("bench-small")
            large_render = first_render("bench-large")
            expanded_render = first_render("bench-large", "?expand=team-00")
            print(f"first render, 100 Services (baseline): {describe(small_render)}")
            print(f"first render, 2,000 Services:          {describe(large_render)}; ratio "
                  f"{large_render['ms'] / small_render['ms']:.2f}x; target <= 2 s: "
                  f"{'met' if large_render['ms'] <= 2000 else 'missed'}")
            print(f"first render, 2,000, one expanded:     {describe(expanded_render)}; ratio "
                  f"{expanded_render['ms'] / small_render['ms']:.2f}x")
            if args.full_render:
                with override_settings(TOPOLOGY_COLLAPSE_ABOVE=10**9):
                    full_json = json_ms("bench-large")
                    page.goto("/clusters/bench-large/topology/")
                    page.wait_for_function("() => window.smiTopology && smiTopology.drawnAt")
                    full = dict(zip(("ms", "response", "script", "elements"), page.evaluate(READY), strict=True))
                print(f"without aggregation: topology.json {full_json:.0f} ms; first render {describe(full)}; "
                      f"ratio {full['ms'] / small_render['ms']:.1f}x")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=20)
    parser.add_argument("--services", type=int, default=100, help="Services per namespace")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--no-full-render", dest="full_render", action="store_false",
                        help="skip drawing 2,000 Services without aggregation (slow)")
    parser.add_argument("--payload-only", action="store_true", help="skip the database, HTTP and browser parts")
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    payload_figures(args)
    if args.payload_only:
        return
    from django.db import connection

    creation = connection.creation
    bench_name = f"{settings.DATABASES['default']['NAME']}_topology_bench".replace(
        ".sqlite3_topology_bench", "_topology_bench.sqlite3")
    connection.settings_dict["TEST"]["NAME"] = bench_name
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        render_figures(args)
    finally:
        creation.destroy_test_db(bench_name, verbosity=0)


if __name__ == "__main__":
    main()
