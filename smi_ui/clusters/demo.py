"""The demo cluster: a sandbox holding the demo world, started when no kubeconfig exists.

Like a real cluster it answers only its token: the dashboard's kubeconfig carries it, and a
request without it (any other program on the machine) is refused, reads and writes alike,
except the version and health paths a real API server shows to anyone.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings

from smi_ui.sandbox.auth import MASTERS, User
from smi_ui.sandbox.demo import DEMO_LAYOUT, demo_objects
from smi_ui.sandbox.server import SandboxCluster

from .models import Cluster
from .services import register_from_kubeconfig

DEMO_CLUSTER_NAME = "demo"


def user_kubeconfig() -> Path | None:
    """The kubeconfig kubectl would use ($KUBECONFIG's first file, else ~/.kube/config), if it exists."""
    candidates = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    candidates.append(str(Path.home() / ".kube" / "config"))
    for candidate in candidates:
        path = Path(candidate).expanduser()
        if path.is_file():
            return path
    return None


def start_demo_cluster(layout: str = DEMO_LAYOUT) -> tuple[SandboxCluster, Cluster]:
    """Start the demo sandbox on a free loopback port, with simulated traffic, and (re-)register it."""
    token = secrets.token_urlsafe(32)  # new with every start: yesterday's kubeconfig opens nothing
    sandbox = SandboxCluster(layout, demo_objects(layout), tokens={token: User("admin", (MASTERS,))}).start()
    sandbox.attach_simulator()  # serves the SMI metrics API, so live figures work out of the box
    kubeconfig = Path(settings.DATA_DIR) / "demo-kubeconfig"
    sandbox.write_kubeconfig(kubeconfig, user="admin")
    Cluster.objects.filter(name=DEMO_CLUSTER_NAME, is_demo=True).delete()  # yesterday's sandbox is gone
    (cluster,) = register_from_kubeconfig(kubeconfig, is_demo=True)
    if cluster.name != DEMO_CLUSTER_NAME:
        cluster.name = DEMO_CLUSTER_NAME
        cluster.save(update_fields=["name"])
    return sandbox, cluster
