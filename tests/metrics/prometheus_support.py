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


class PrometheusProcess:
    """One Prometheus server on a fixed loopback port, which can be stopped and started again (fault tests)."""

    def __init__(self, target: str, metrics_path: str, workdir: Path):
        self.executable = require_prometheus()
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = workdir / "prometheus.yml"
        self.config.write_text(
            f"global: {{scrape_interval: {SCRAPE_SECONDS}s, evaluation_interval: {SCRAPE_SECONDS}s}}\n"
            "scrape_configs:\n"
            "- job_name: simulator\n"
            f"  metrics_path: {metrics_path}\n"
            f"  static_configs: [{{targets: ['{target}']}}]\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.workdir / "prometheus.log").open("a")
        self.process = subprocess.Popen(
            [self.executable, f"--config.file={self.config}", f"--storage.tsdb.path={self.workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while not _ready(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log_text = (self.workdir / "prometheus.log").read_text()
                raise AssertionError(f"Prometheus did not become ready:\n{log_text}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@contextmanager
def running_prometheus(target: str, metrics_path: str, workdir: Path) -> Iterator[str]:
    """Prometheus scraping `target` (host:port) every second; yields its URL and stops it afterwards."""
    server = PrometheusProcess(target, metrics_path, workdir)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False
