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


def _write_private(path: Path, text: str) -> Path:
    """Written whole, readable only by us from the first byte, then renamed: never half a file, never exposed."""
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(text)
    partial.replace(path)
    return path


def save_demo_cluster(sandbox: SandboxCluster) -> Path:
    """Keep the demo cluster's objects for the next start."""
    return _write_private(_snapshot_path(), json.dumps(sandbox.snapshot()))


def _inventory_is_ahead(saved: dict[str, Any]) -> bool:
    """Whether the inventory holds versions the saved world never reached (it was not saved at the last stop)."""
    from smi_ui.inventory.models import KubeObject

    versions = KubeObject.objects.filter(cluster__name=DEMO_CLUSTER_NAME, cluster__is_demo=True).values_list(
        "resource_version", flat=True)
    newest = max((int(v) for v in versions if str(v).isdigit()), default=0)
    return newest > int(saved.get("resourceVersion") or 0)


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
    if Cluster.objects.filter(name=DEMO_CLUSTER_NAME, is_demo=False).exists():
        raise RuntimeError(f"a cluster named {DEMO_CLUSTER_NAME!r} is registered and is not the demo: rename it "
                           "to start the demo cluster")
    saved = _saved_world(layout)
    if saved is not None and _inventory_is_ahead(saved):
        log.warning("demo cluster: %s is older than what the dashboard last saw (the server was not stopped "
                    "cleanly); starting a new demo world", _snapshot_path())
        saved = None
    token = secrets.token_urlsafe(32)  # new with every start: yesterday's kubeconfig opens nothing
    sandbox = SandboxCluster(layout, None if saved else demo_objects(layout), restore=saved,
                             tokens={token: User("admin", (MASTERS,))}).start()
    sandbox.attach_simulator()  # serves the SMI metrics API, so live figures work out of the box
    if saved is None:  # a new world: yesterday's history does not describe it
        Cluster.objects.filter(name=DEMO_CLUSTER_NAME, is_demo=True).delete()
    config = sandbox.kubeconfig(user="admin")
    config["contexts"][0]["name"] = config["current-context"] = DEMO_CLUSTER_NAME
    kubeconfig = _write_private(Path(settings.DATA_DIR) / "demo-kubeconfig", json.dumps(config))
    (cluster,) = register_from_kubeconfig(kubeconfig, is_demo=True)  # same name: the same record, new address
    return sandbox, cluster
