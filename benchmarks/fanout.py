"""Fan-out benchmark: many websocket clients of one namespace receiving 1 Hz metrics deltas.

Run: `REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python benchmarks/fanout.py [--clients 1000 --seconds 60]`
(with DATABASE_URL=postgres://... the server's database is a throwaway one on that PostgreSQL
server, dropped afterwards; without it, a throwaway SQLite file).

One daphne process serves `smi_ui.asgi` with the product's Redis channel layer
(`--layer pubsub` compares channels_redis' pub/sub backend). Clients sign in as a viewer
granted one namespace and open `ws/live/clusters/1/namespaces/bench/`; this process
publishes one `metrics.delta` per second to the namespace's metrics group on the Redis
layer (as a poller in any process would), stamped with the send time.

Because the machine is shared and noisy, every figure comes with a baseline taken in the
same run: first a single client receives `--baseline-seconds` messages (its lag is the
floor of publish -> Redis -> server -> client), and the server's RSS is read idle and with
that one client. Then the crowd connects, stays `--idle-seconds` with nothing published (the
server's background CPU, mostly re-authorising every connection), and receives `--seconds`
messages. Reported:
delivery ratio, p50/p99/max lag (and as multiples of the single client's), how long the
server takes to reach the whole crowd with one message, server and client CPU, and the
server's RSS growth per connection. A Redis restart during the run (another test on the
machine) makes the figures void: the run says so and exits with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
NAMESPACE = "bench"
LAYERS = {"core": "channels_redis.core.RedisChannelLayer", "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer"}
CLUSTER_ID = 1
CONNECT_BATCH = 100
TARGET_RATIO, TARGET_P99_SECONDS, TARGET_KIB_PER_CONNECTION = 0.999, 1.0, 100.0
PROFILED_SERVER = """
import cProfile, sys, time
from daphne.cli import CommandLineInterface
profiler = cProfile.Profile(time.process_time)
try:
    profiler.runcall(CommandLineInterface().run, sys.argv[2:])
finally:
    profiler.dump_stats(sys.argv[1])
"""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: good enough for tens of thousands of samples."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (utime and stime from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_run_id(url: str) -> str:
    """Redis' run id changes on every restart: a restart empties the layer's groups and voids the run."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        return str(client.info("server")["run_id"])
    finally:
        client.close()


def prepare_database() -> str:
    """Migrate a throwaway database holding the cluster and its namespace; return a viewer's session id."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from smi_ui.accounts.models import Grant
    from smi_ui.clusters.models import Cluster
    from smi_ui.inventory.services import upsert_object

    call_command("migrate", verbosity=0)
    # Websockets are refused for namespaces the inventory does not hold. The API server address
    # answers nothing, so the server's own metrics poller only ever reports "unavailable".
    Cluster.objects.create(pk=CLUSTER_ID, name="fanout", api_server="https://127.0.0.1:9")
    upsert_object(CLUSTER_ID, {"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": NAMESPACE, "uid": "fanout-namespace", "resourceVersion": "1"}})
    user = get_user_model().objects.create_user("fanout-viewer", password="fanout-viewer-password")
    Grant.objects.create(user=user, role="viewer", cluster=None, namespace=NAMESPACE)
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@dataclass
class Receiver:
    """One websocket client: records the lag of every numbered message, and why it ended."""

    lags: dict[int, float] = field(default_factory=dict)
    subscribed: bool = False
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # subscribed, or ended before that
    ended: bool = False
    error: str = ""

    async def run(self, session: aiohttp.ClientSession, url: str, origin: str, cookie: str) -> None:
        try:
            async with session.ws_connect(url, origin=origin, headers={"Cookie": cookie}, heartbeat=None) as socket_:
                async for message in socket_:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    data = json.loads(message.data)
                    if "seq" in data:
                        self.lags[data["seq"]] = time.time() - data["sentAt"]
                    elif data.get("type") == "subscribed":
                        self.subscribed = True
                        self.settled.set()
                if socket_.close_code is not None:
                    self.error = f"closed by the server with code {socket_.close_code}"
        except asyncio.CancelledError:
            raise
        except Exception as error:  # counted and reported: a failed client is a finding, not a crash
            self.error = f"{type(error).__name__}: {error}"
        self.ended = True
        self.settled.set()


class Publisher:
    """Sends numbered `metrics.delta` messages to the namespace's metrics group at 1 Hz."""

    def __init__(self) -> None:
        from channels.layers import get_channel_layer

        from smi_ui.live.groups import metrics_group

        self.layer = get_channel_layer()
        self.group = metrics_group(CLUSTER_ID, NAMESPACE)
        self.next_seq = 0

    async def run(self, count: int) -> range:
        """Publish `count` messages on a fixed 1 s schedule; returns their sequence numbers."""
        first = self.next_seq
        start = time.perf_counter()
        for index in range(count):
            await asyncio.sleep(max(0.0, start + index - time.perf_counter()))
            seq = self.next_seq
            self.next_seq += 1
            await self.layer.group_send(self.group, {
                "type": "metrics.delta", "cluster": CLUSTER_ID, "namespace": NAMESPACE, "full": False,
                "seq": seq, "sentAt": time.time(), "edges": {f"{NAMESPACE}/a->{NAMESPACE}/b": {"rps": 10.0 + seq}},
                "resources": {}, "available": True})
        return range(first, self.next_seq)


async def wait_delivered(receivers: list[Receiver], seqs: range, timeout: float) -> None:
    """Wait until every live receiver has every message, or `timeout` passed (lost messages stay lost)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(r.ended or all(seq in r.lags for seq in seqs) for r in receivers):
            return
        await asyncio.sleep(0.05)


async def measure(args: argparse.Namespace, port: int, server_pid: int, cookie: str) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{port}/ws/live/clusters/{CLUSTER_ID}/namespaces/{NAMESPACE}/"
    origin = f"http://127.0.0.1:{port}"
    publisher = Publisher()
    connector = aiohttp.TCPConnector(limit=0)
    tasks: list[asyncio.Task[None]] = []
    async with aiohttp.ClientSession(connector=connector) as session:
        def start(receiver: Receiver) -> None:
            tasks.append(asyncio.create_task(receiver.run(session, url, origin, cookie)))

        try:
            idle_rss = rss_kib(server_pid)
            # Baseline: one client alone; it also loads every module the server needs before RSS is compared.
            single = Receiver()
            start(single)
            await asyncio.wait_for(single.settled.wait(), 30)
            if not single.subscribed:
                raise RuntimeError(f"the single client was not subscribed: {single.error}")
            baseline_seqs = await publisher.run(args.baseline_seconds)
            await wait_delivered([single], baseline_seqs, timeout=5)
            one_client_rss = rss_kib(server_pid)

            crowd = [Receiver() for _ in range(args.clients)]
            started = time.perf_counter()
            for batch in range(0, args.clients, CONNECT_BATCH):
                for receiver in crowd[batch:batch + CONNECT_BATCH]:
                    start(receiver)
                await asyncio.wait_for(asyncio.gather(*(r.settled.wait() for r in crowd[batch:batch + CONNECT_BATCH])),
                                       60)
            connect_seconds = time.perf_counter() - started
            connected_rss = rss_kib(server_pid)
            # Baseline: what the server spends with everyone connected and nothing published
            # (periodic re-authorisation of every connection, pollers).
            idle_before = cpu_seconds(server_pid)
            await asyncio.sleep(args.idle_seconds)
            idle_cpu = (cpu_seconds(server_pid) - idle_before) / args.idle_seconds if args.idle_seconds else 0.0

            cpu_before, client_before, wall_before = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
            crowd_seqs = await publisher.run(args.seconds)
            await wait_delivered(crowd, crowd_seqs, timeout=10)
            wall = time.perf_counter() - wall_before
            server_cpu_seconds = cpu_seconds(server_pid) - cpu_before
            server_cpu = server_cpu_seconds / wall
            client_cpu = (time.process_time() - client_before) / wall
            end_rss = rss_kib(server_pid)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    subscribed = [r for r in crowd if r.subscribed]
    lags = [r.lags[seq] for r in crowd for seq in crowd_seqs if seq in r.lags]
    # Per message: when the first and the last client of the crowd had it (the server's fan-out spread).
    firsts, lasts, worst = [], [], []
    for seq in crowd_seqs:
        arrivals = [r.lags[seq] for r in crowd if seq in r.lags]
        if arrivals:
            firsts.append(min(arrivals))
            lasts.append(max(arrivals))
            worst.append((max(arrivals), seq - crowd_seqs.start))
    worst.sort(reverse=True)
    single_lags = [single.lags[seq] for seq in baseline_seqs if seq in single.lags]
    errors: dict[str, int] = {}
    for receiver in crowd:
        if receiver.error:
            errors[receiver.error] = errors.get(receiver.error, 0) + 1
    expected = args.clients * args.seconds
    return {
        "clients": args.clients, "subscribed": len(subscribed), "messages": args.seconds, "expected": expected,
        "delivered": len(lags), "ratio": len(lags) / expected,
        "incomplete_clients": sum(1 for r in crowd if len(r.lags.keys() & set(crowd_seqs)) < args.seconds),
        "client_errors": errors,
        "p50": percentile(lags, 0.5) if lags else None, "p99": percentile(lags, 0.99) if lags else None,
        "max": max(lags) if lags else None, "mean": statistics.fmean(lags) if lags else None,
        "first_p50": statistics.median(firsts) if firsts else None,
        "last_p50": statistics.median(lasts) if lasts else None,
        "worst_messages": worst[:5],
        "single_delivered": len(single_lags), "single_expected": args.baseline_seconds,
        "single_p50": statistics.median(single_lags) if single_lags else None,
        "single_max": max(single_lags) if single_lags else None,
        "connect_seconds": connect_seconds, "server_cpu": server_cpu, "client_cpu": client_cpu,
        "server_cpu_per_message": server_cpu_seconds / args.seconds, "idle_cpu": idle_cpu,
        "net_cpu_per_message": (server_cpu_seconds - idle_cpu * wall) / args.seconds,
        "load": os.getloadavg()[0],
        "idle_rss_kib": idle_rss, "one_client_rss_kib": one_client_rss, "connected_rss_kib": connected_rss,
        "end_rss_kib": end_rss,
        "kib_per_connection": (connected_rss - one_client_rss) / args.clients,
        "end_kib_per_connection": (end_rss - one_client_rss) / args.clients,
    }


def report(result: dict[str, Any]) -> bool:
    """Print the figures with their baselines; returns whether every target was met."""
    ms = 1000.0
    print(f"connected {result['subscribed']}/{result['clients']} clients in {result['connect_seconds']:.1f} s")
    if result["client_errors"]:
        for error, count in sorted(result["client_errors"].items(), key=lambda item: -item[1]):
            print(f"  {count} clients ended early: {error}")
    print(f"baseline, one client alone: {result['single_delivered']}/{result['single_expected']} delivered, "
          f"lag p50 {ms * (result['single_p50'] or 0):.1f} ms, max {ms * (result['single_max'] or 0):.1f} ms")
    ratio_met = result["ratio"] >= TARGET_RATIO
    print(f"delivered {result['delivered']}/{result['expected']} = {100 * result['ratio']:.3f} % "
          f"(target >= {100 * TARGET_RATIO:.1f} %: {'met' if ratio_met else 'MISSED'}); "
          f"{result['incomplete_clients']} clients missed at least one message")
    p99_met = result["p99"] is not None and result["p99"] <= TARGET_P99_SECONDS
    if result["p50"] is not None:
        floor = result["single_p50"] or float("nan")
        print(f"lag p50 {ms * result['p50']:.1f} ms ({result['p50'] / floor:.1f}x one client), "
              f"p99 {ms * result['p99']:.1f} ms ({result['p99'] / floor:.1f}x; target <= "
              f"{ms * TARGET_P99_SECONDS:.0f} ms: {'met' if p99_met else 'MISSED'}), max {ms * result['max']:.1f} ms")
        print(f"per message, median over messages: first client served after {ms * result['first_p50']:.1f} ms, "
              f"last after {ms * result['last_p50']:.1f} ms; slowest (s after the first publish: last client) "
              + ", ".join(f"{second} s: {ms * lag:.0f} ms" for lag, second in result["worst_messages"]))
    # CPU time per broadcast hardly depends on the machine's load, unlike lag: on an idle core the
    # last client is served about that long after the publish.
    per_message_ms = 1000 * result["server_cpu_per_message"]
    net_ms = 1000 * result["net_cpu_per_message"]
    print(f"CPU while publishing: server {100 * result['server_cpu']:.0f} % of one core = {per_message_ms:.0f} ms per "
          f"message ({1000 * per_message_ms / result['clients']:.0f} us per delivery), benchmark clients "
          f"{100 * result['client_cpu']:.0f} %; load average {result['load']:.1f} on {os.cpu_count()} CPUs")
    print(f"server CPU with everyone connected and nothing published: {100 * result['idle_cpu']:.1f} % of one core; "
          f"net of that, {net_ms:.0f} ms per message ({1000 * net_ms / result['clients']:.0f} us per delivery)")
    memory_met = result["kib_per_connection"] <= TARGET_KIB_PER_CONNECTION
    print(f"server RSS: idle {result['idle_rss_kib'] / 1024:.1f} MiB, "
          f"one client {result['one_client_rss_kib'] / 1024:.1f} MiB, "
          f"{result['clients']} more connected {result['connected_rss_kib'] / 1024:.1f} MiB, at the end "
          f"{result['end_rss_kib'] / 1024:.1f} MiB -> {result['kib_per_connection']:.1f} KiB per connection "
          f"({result['end_kib_per_connection']:.1f} KiB at the end; target <= {TARGET_KIB_PER_CONNECTION:.0f} KiB: "
          f"{'met' if memory_met else 'MISSED'})")
    return ratio_met and p99_met and memory_met


def wait_for_port(port: int, server: subprocess.Popen[bytes], log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"daphne did not start:\n{log_path.read_text()}")
            time.sleep(0.1)


def main() -> None:
    """Parse the options, prepare a throwaway database and run the measurement against it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=60, help="messages published to the crowd, one per second")
    parser.add_argument("--baseline-seconds", type=int, default=10, help="messages published to one client alone")
    parser.add_argument("--idle-seconds", type=int, default=30,
                        help="all clients connected, nothing published: the server's own background cost")
    parser.add_argument("--layer", choices=sorted(LAYERS), default="core",
                        help="channels_redis backend: core (the product's, with its settings) or pubsub (comparison)")
    parser.add_argument("--profile", action="store_true",
                        help="run the server under cProfile and print where its CPU time went (slows it down)")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        sys.exit("set REDIS_URL: the benchmark measures the Redis channel layer")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.clients * 2 + 1024)), hard))

    workdir = Path(tempfile.mkdtemp(prefix="smi-ui-fanout-"))
    database_url, drop_database = throwaway_database(workdir)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "benchmarks.fanout_settings",
        "FANOUT_CHANNEL_LAYER": LAYERS[args.layer],
        "SECRET_KEY": "fanout-benchmark-only-" + "0123456789abcdef" * 4,
        "DATABASE_URL": database_url,
        "SMI_UI_DATA_DIR": str(workdir),
        "LOG_LEVEL": "WARNING",
    })
    try:
        run(args, redis_url, workdir)
    finally:
        drop_database()


def throwaway_database(workdir: Path) -> tuple[str, Callable[[], None]]:
    """A fresh database for the run: on the PostgreSQL server of DATABASE_URL if set, else a SQLite file.

    Sessions, grants and the periodic re-authorisation of every connection read it, so its
    engine shows in the server's background CPU.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{workdir / 'fanout.sqlite3'}", lambda: None
    import psycopg

    server = url.split("?", 1)[0].rsplit("/", 1)[0]
    name = f"smi_ui_fanout_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{server}/{name}", drop


def run(args: argparse.Namespace, redis_url: str, workdir: Path) -> None:
    cookie = f"sessionid={prepare_database()}"
    from django.conf import settings

    layer = settings.CHANNEL_LAYERS["default"]
    port = free_port()
    profile_path = workdir / "server.prof"
    daphne_args = ["-b", "127.0.0.1", "-p", str(port), "smi_ui.asgi:application"]
    daphne = [sys.executable, "-m", "daphne", *daphne_args]
    if args.profile:  # CPU time, not wall time: on a shared machine, time spent preempted is not the server's
        daphne = [sys.executable, "-c", PROFILED_SERVER, str(profile_path), *daphne_args]
    log_path = workdir / "daphne.log"
    run_id = redis_run_id(redis_url)
    with log_path.open("w") as log:
        server = subprocess.Popen(daphne, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, server, log_path)
            print(f"server: one daphne process (pid {server.pid}), {settings.DATABASES['default']['ENGINE']}, "
                  f"{layer['BACKEND']} {layer.get('CONFIG', {})}; "
                  f"{args.clients} clients, {args.seconds} messages at 1 Hz after {args.baseline_seconds} to one "
                  f"client alone")
            result = asyncio.run(measure(args, port, server.pid, cookie))
        finally:
            server.terminate()  # daphne stops its reactor on SIGTERM, so cProfile still writes its file
            server.wait(30)
    server_errors = log_path.read_text().count("Exception inside application")
    met = report(result)
    print(f"server log {log_path}: {server_errors} consumer exceptions")
    if args.profile and profile_path.exists():
        import pstats

        print(f"server profile {profile_path}, by own time:")
        pstats.Stats(str(profile_path)).sort_stats("tottime").print_stats(25)
    if redis_run_id(redis_url) != run_id:
        print("VOID: Redis restarted during the run (its groups were emptied); run again")
        sys.exit(2)
    print("all targets met" if met else "TARGETS MISSED")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
