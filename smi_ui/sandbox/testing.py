"""pytest plugin: sandbox clusters as fixtures.

Register with ``pytest_plugins = ["smi_ui.sandbox.testing"]`` in the top-level conftest.

- ``sandbox_factory``: call it to start clusters (any layout, objects, tokens, TLS);
  all are stopped at teardown.
- ``sandbox``: one running cluster, configured by the ``sandbox`` marker, e.g.
  ``@pytest.mark.sandbox(layout="osm", objects=MANIFEST_YAML)``.

Each handle carries a kubeconfig path and a `kubectl(...)` runner that uses a private
discovery cache, so clusters reusing a port never see each other's cached discovery.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .manifests import ObjectSource
from .server import SandboxCluster

MARKER = "sandbox(layout='smi-sdk-go', objects=None, **options): configure the `sandbox` fixture's cluster"


@dataclass
class SandboxHandle:
    """A running sandbox cluster plus what clients need to reach it."""

    cluster: SandboxCluster
    kubeconfig: Path
    workdir: Path
    _kubeconfigs: dict[str, Path] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.cluster.url

    def kubeconfig_for(self, user: str) -> Path:
        """A kubeconfig authenticating as `user` (their token when tokens are configured)."""
        if user not in self._kubeconfigs:
            self._kubeconfigs[user] = self.cluster.write_kubeconfig(self.workdir / f"kubeconfig-{user}", user=user)
        return self._kubeconfigs[user]

    def kubectl(self, *args: str, input: str | None = None, user: str | None = None, timeout: float = 60,
                check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run the real kubectl against this cluster; returns the completed process (text mode)."""
        executable = shutil.which("kubectl")
        if executable is None:
            pytest.skip("kubectl is not installed")
        kubeconfig = self.kubeconfig_for(user) if user else self.kubeconfig
        command = [executable, f"--kubeconfig={kubeconfig}", f"--cache-dir={self.workdir / 'kube-cache'}", *args]
        result = subprocess.run(command, input=input, capture_output=True, text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def kubectl_stream(self, *args: str, user: str | None = None) -> subprocess.Popen[str]:
        """Start a long-running kubectl (e.g. `get -w`); the caller terminates it."""
        executable = shutil.which("kubectl")
        if executable is None:
            pytest.skip("kubectl is not installed")
        kubeconfig = self.kubeconfig_for(user) if user else self.kubeconfig
        command = [executable, f"--kubeconfig={kubeconfig}", f"--cache-dir={self.workdir / 'kube-cache'}", *args]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)


SandboxFactory = Callable[..., SandboxHandle]


@pytest.fixture
def sandbox_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxFactory]:
    """Start sandbox clusters on free loopback ports: ``sandbox_factory(layout="osm", objects=[...])``."""
    started: list[SandboxCluster] = []

    def start(layout: str = "smi-sdk-go", objects: list[ObjectSource] | ObjectSource | None = None,
              user: str = "admin", **options: Any) -> SandboxHandle:
        cluster = SandboxCluster(layout, objects, **options).start()
        started.append(cluster)
        workdir = tmp_path_factory.mktemp(f"sandbox-{layout}")
        kubeconfig = cluster.write_kubeconfig(workdir / "kubeconfig", user=user)
        return SandboxHandle(cluster, kubeconfig, workdir, {user: kubeconfig})

    yield start
    for cluster in started:
        cluster.stop()


@pytest.fixture
def sandbox(request: pytest.FixtureRequest, sandbox_factory: SandboxFactory) -> SandboxHandle:
    """One sandbox cluster, configured by ``@pytest.mark.sandbox(layout=..., objects=..., **options)``."""
    marker = request.node.get_closest_marker("sandbox")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        options.setdefault("layout", marker.args[0])
    return sandbox_factory(**options)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
