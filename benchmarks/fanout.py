"""Fan-out benchmark: many websocket clients of one namespace receiving 1 Hz metrics deltas.

Run: `REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python benchmarks/fanout.py [--clients 1000 --seconds 60]`

One daphne process serves `smi_ui.asgi` with the Redis channel layer. N clients sign in
as a viewer granted one namespace and open `ws/live/clusters/1/namespaces/bench/`; this
process then publishes one `metrics.delta` per second to the namespace's metrics group on
the Redis layer (as a poller in any process would), stamped with the send time. Reported:
delivery ratio, p50/p99/max lag from publish to receipt, and the server's RSS growth per
connection. The server uses a throwaway SQLite file for sessions and grants.
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
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
NAMESPACE = "bench"
LAYERS = {"core": "channels_redis.core.RedisChannelLayer", "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer"}
CLUSTER_ID = 1


def percentile(values: list[float], q: float) -> float:
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


def prepare_database(workdir: Path) -> str:
    """Migrate a throwaway database and return a viewer's session id."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from smi_ui.accounts.models import Grant

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("fanout-viewer", password="fanout-viewer-password")
    Grant.objects.create(user=user, role="viewer", cluster=None, namespace=NAMESPACE)
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class Receiver:
    """One websocket client: records the lag of every numbered message."""

    def __init__(self) -> None:
        self.lags: dict[int, float] = {}

    async def run(self, session: aiohttp.ClientSession, url: str, origin: str, cookie: str,
                  connected: asyncio.Event, stop: asyncio.Event) -> None:
        async with session.ws_connect(url, origin=origin, headers={"Cookie": cookie}, heartbeat=None) as socket_:
            connected.set()
            async for message in socket_:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                data = json.loads(message.data)
                if "seq" in data:
                    self.lags[data["seq"]] = time.time() - data["sentAt"]


async def measure(args: argparse.Namespace, port: int, server_pid: int, cookie: str) -> dict:
    from channels.layers import get_channel_layer

    from smi_ui.live.groups import metrics_group

    url = f"ws://127.0.0.1:{port}/ws/live/clusters/{CLUSTER_ID}/namespaces/{NAMESPACE}/"
    origin = f"http://127.0.0.1:{port}"
    stop = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Warm-up: one client loads every module the server needs, then the baseline RSS is taken.
        warm = Receiver()
        warm_connected = asyncio.Event()
        warm_task = asyncio.create_task(warm.run(session, url, origin, cookie, warm_connected, stop))
        await asyncio.wait_for(warm_connected.wait(), 30)
        await asyncio.sleep(1)
        baseline = rss_kib(server_pid)
        receivers = [Receiver() for _ in range(args.clients)]
        tasks = []
        started = time.perf_counter()
        for batch in range(0, args.clients, 100):
            events = []
            for receiver in receivers[batch:batch + 100]:
                event = asyncio.Event()
                events.append(event)
                tasks.append(asyncio.create_task(receiver.run(session, url, origin, cookie, event, stop)))
            await asyncio.wait_for(asyncio.gather(*(event.wait() for event in events)), 60)
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(2)  # let every consumer finish joining its groups
        connected_rss = rss_kib(server_pid)
        layer = get_channel_layer()
        group = metrics_group(CLUSTER_ID, NAMESPACE)
        cpu_before, wall_before = cpu_seconds(server_pid), time.perf_counter()
        for seq in range(args.seconds):
            tick = time.perf_counter()
            await layer.group_send(group, {"type": "metrics.delta", "cluster": CLUSTER_ID, "namespace": NAMESPACE,
                                           "full": False, "seq": seq, "sentAt": time.time(),
                                           "edges": {f"{NAMESPACE}/a->{NAMESPACE}/b": {"rps": 10.0 + seq}},
                                           "resources": {}, "available": True})
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
        await asyncio.sleep(3)  # stragglers
        server_cpu = (cpu_seconds(server_pid) - cpu_before) / (time.perf_counter() - wall_before)
        peak_rss = rss_kib(server_pid)
        stop.set()
        for task in (*tasks, warm_task):
            task.cancel()
        await asyncio.gather(*tasks, warm_task, return_exceptions=True)
    lags = [lag for receiver in receivers for lag in receiver.lags.values()]
    expected = args.clients * args.seconds
    return {
        "clients": args.clients, "messages": args.seconds, "expected": expected, "delivered": len(lags),
        "ratio": len(lags) / expected, "p50": percentile(lags, 0.5) if lags else None,
        "p99": percentile(lags, 0.99) if lags else None, "max": max(lags) if lags else None,
        "mean": statistics.fmean(lags) if lags else None, "connect_seconds": connect_seconds,
        "server_cpu": server_cpu, "load": os.getloadavg()[0],
        "baseline_rss_kib": baseline, "connected_rss_kib": connected_rss, "peak_rss_kib": peak_rss,
        "kib_per_connection": (connected_rss - baseline) / args.clients,
        "peak_kib_per_connection": (peak_rss - baseline) / args.clients,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=60, help="messages published, one per second")
    parser.add_argument("--layer", choices=sorted(LAYERS), default="pubsub",
                        help="channels_redis backend: pubsub (one Redis message per process) or core (one per client)")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("set REDIS_URL: the benchmark measures the Redis channel layer")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.clients * 2 + 1024)), hard))

    workdir = Path(tempfile.mkdtemp(prefix="smi-ui-fanout-"))
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "benchmarks.fanout_settings",
        "FANOUT_CHANNEL_LAYER": LAYERS[args.layer],
        "SECRET_KEY": "fanout-benchmark-only",
        "DATABASE_URL": f"sqlite:///{workdir / 'fanout.sqlite3'}",
        "SMI_UI_DATA_DIR": str(workdir),
        "LOG_LEVEL": "WARNING",
    })
    cookie = f"sessionid={prepare_database(workdir)}"
    port = free_port()
    daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "smi_ui.asgi:application"]
    log = (workdir / "daphne.log").open("w")
    server = subprocess.Popen(daphne, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"daphne did not start:\n{(workdir / 'daphne.log').read_text()}")
                time.sleep(0.1)
        print(f"server: one daphne process (pid {server.pid}), {LAYERS[args.layer]}; "
              f"{args.clients} clients, {args.seconds} messages at 1 Hz")
        result = asyncio.run(measure(args, port, server.pid, cookie))
    finally:
        server.terminate()
        server.wait(10)
        log.close()
    print(f"connected {result['clients']} clients in {result['connect_seconds']:.1f}s")
    print(f"delivered {result['delivered']}/{result['expected']} = {100 * result['ratio']:.3f} % (target >= 99.9 %)")
    if result["p50"] is not None:
        print(f"lag p50 {1000 * result['p50']:.1f} ms, p99 {1000 * result['p99']:.1f} ms (target <= 1000 ms), "
              f"max {1000 * result['max']:.1f} ms")
    print(f"server CPU while publishing: {100 * result['server_cpu']:.0f} % of one core; "
          f"machine load average {result['load']:.1f} on {os.cpu_count()} CPUs")
    print(f"server RSS: {result['baseline_rss_kib'] / 1024:.1f} MiB with one client, "
          f"{result['connected_rss_kib'] / 1024:.1f} MiB with all connected, {result['peak_rss_kib'] / 1024:.1f} MiB "
          f"at the end -> {result['kib_per_connection']:.1f} KiB per connection "
          f"({result['peak_kib_per_connection']:.1f} KiB at the end; target <= 100 KiB)")


if __name__ == "__main__":
    main()
