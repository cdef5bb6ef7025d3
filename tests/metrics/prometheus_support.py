"""A real Prometheus (Debian package `prometheus`) on a free loopback port, scraping the sandbox's simulator."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROMETHEUS = "/usr/bin/prometheus"
SCRAPE_SECONDS = 1


def require_prometheus() -> str:
    executable = PROMETHEUS if Path(PROMETHEUS).exists() else shutil.which("prometheus")
    if executable is None:
        pytest.skip("Prometheus is not installed (Debian: apt-get install -y prometheus)")
    return executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_prometheus(target: str, metrics_path: str, workdir: Path) -> Iterator[str]:
    """Prometheus scraping `target` (host:port) every second; yields its URL and stops it afterwards."""
    executable = require_prometheus()
    config = workdir / "prometheus.yml"
    config.write_text(
        f"global: {{scrape_interval: {SCRAPE_SECONDS}s, evaluation_interval: {SCRAPE_SECONDS}s}}\n"
        "scrape_configs:\n"
        "- job_name: simulator\n"
        f"  metrics_path: {metrics_path}\n"
        f"  static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = free_port()
    log = (workdir / "prometheus.log").open("w")
    process = subprocess.Popen([executable, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
                                f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"Prometheus did not become ready:\n{(workdir / 'prometheus.log').read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False
