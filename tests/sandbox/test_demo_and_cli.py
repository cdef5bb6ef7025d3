"""The demo world loads in every layout, and `python -m smi_ui.sandbox` serves it."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from smi_ui.sandbox.demo import demo_objects
from smi_ui.smi.layouts import LAYOUTS

from .support import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.covers("resources.layouts")
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_demo_world_is_valid_in_every_layout(layout, sandbox_factory):
    objects = demo_objects(layout)
    handle = sandbox_factory(layout=layout, objects=objects)
    for obj in objects:
        metadata = obj["metadata"]
        found = handle.cluster.get(obj["apiVersion"], obj["kind"], metadata["name"], metadata.get("namespace", ""))
        assert found is not None, f"{obj['kind']} {metadata['name']} was not stored"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.covers("client.kubectl")
def test_the_command_line_serves_the_demo_and_writes_a_kubeconfig(tmp_path):
    port = _free_port()
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen([sys.executable, "-m", "smi_ui.sandbox", "--port", str(port), "--layout", "osm",
                                "--demo", "--kubeconfig", str(kubeconfig)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(kubeconfig.exists, timeout=20, what="the sandbox to write its kubeconfig")
        names = subprocess.run(["kubectl", f"--kubeconfig={kubeconfig}", f"--cache-dir={tmp_path / 'cache'}",
                                "get", "trafficsplits", "-A", "-o", "name"], capture_output=True, text=True,
                               timeout=30, check=True).stdout.split()
        expected = sorted(f"trafficsplit.split.smi-spec.io/{o['metadata']['name']}" for o in demo_objects("osm")
                          if o["kind"] == "TrafficSplit")
        assert sorted(names) == expected and expected
    finally:
        process.terminate()
        process.wait(10)
