"""The demo cluster: a sandbox holding the demo world, started when no kubeconfig exists.

Like a real cluster it answers only its token: the dashboard's kubeconfig carries it, and a
request without it (any other program on the machine) is refused, reads and writes alike,
except the version and health paths a real API server shows to anyone.

Like a real cluster it also outlives the dashboard: on stop its objects are saved in the data
folder and the next start carries on from them (same uids and resourceVersions), so the
demo's history, audit links and "recent changes" still describe the objects that are there.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings

from smi_ui.sandbox.auth import MASTERS, User
from smi_ui.sandbox.demo import DEMO_LAYOUT, demo_objects
from smi_ui.sandbox.server import SandboxCluster

from .models import Cluster
from .services import register_from_kubeconfig

DEMO_CLUSTER_NAME = "demo"
SNAPSHOT_FILE = "demo-cluster.json"

log = logging.getLogger(__name__)


def _snapshot_path() -> Path:
    return Path(settings.DATA_DIR) / SNAPSHOT_FILE


def _saved_world(layout: str) -> dict[str, Any] | None:
    """The objects the demo cluster held when it last stopped, if they are of this layout and readable."""
    try:
        saved = json.loads(_snapshot_path().read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("demo cluster: %s is unreadable (%s); starting a new demo world", _snapshot_path(), error)
        return None
    return saved if isinstance(saved, dict) and saved.get("layout") == layout else None


def save_demo_cluster(sandbox: SandboxCluster) -> Path:
    """Keep the demo cluster's objects for the next start (written whole, then renamed: never half a file)."""
    path = _snapshot_path()
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(sandbox.snapshot()))
    partial.chmod(0o600)
    partial.replace(path)
    return path


def stop_demo_cluster(sandbox: SandboxCluster) -> None:
    try:
        save_demo_cluster(sandbox)
    except Exception as error:  # losing the snapshot must not keep the server from stopping
        log.warning("demo cluster not saved: %s", error)
    sandbox.stop()


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
    """Start the demo sandbox on a free loopback port, with simulated traffic, and register it.

    With the objects saved by the last stop, the cluster carries on from them and keeps its
    registration (and so its history); without, a new demo world replaces the old record.
    """
    saved = _saved_world(layout)
    token = secrets.token_urlsafe(32)  # new with every start: yesterday's kubeconfig opens nothing
    sandbox = SandboxCluster(layout, None if saved else demo_objects(layout), restore=saved,
                             tokens={token: User("admin", (MASTERS,))}).start()
    sandbox.attach_simulator()  # serves the SMI metrics API, so live figures work out of the box
    if saved is None:  # a new world: yesterday's history does not describe it
        Cluster.objects.filter(name=DEMO_CLUSTER_NAME, is_demo=True).delete()
    config = sandbox.kubeconfig(user="admin")
    config["contexts"][0]["name"] = config["current-context"] = DEMO_CLUSTER_NAME
    kubeconfig = Path(settings.DATA_DIR) / "demo-kubeconfig"
    partial = kubeconfig.with_name(f".{kubeconfig.name}.partial")
    partial.write_text(json.dumps(config))
    partial.chmod(0o600)
    partial.replace(kubeconfig)
    (cluster,) = register_from_kubeconfig(kubeconfig, is_demo=True)  # same name: the same record, new address
    return sandbox, cluster
