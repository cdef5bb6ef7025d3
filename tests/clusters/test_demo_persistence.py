"""The demo cluster outlives the dashboard: a restart carries on from the objects it held, with its history."""

from __future__ import annotations

import json

import pytest

from smi_ui.clusters.demo import SNAPSHOT_FILE, save_demo_cluster, start_demo_cluster, stop_demo_cluster
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject, Revision
from tests.edit_support import import_inventory

pytestmark = pytest.mark.django_db(transaction=True)
SPLIT = ("split.smi-spec.io/v1alpha4", "TrafficSplit", "bookstore-canary", "bookstore")


def set_canary_weight(sandbox, weight: int) -> dict:
    split = sandbox.get(*SPLIT)
    split["spec"]["backends"][1]["weight"] = weight
    (stored,) = sandbox.apply(split)
    return stored


def test_a_restart_keeps_the_objects_their_identity_and_the_clusters_history(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    sandbox, cluster = start_demo_cluster()
    try:
        changed = set_canary_weight(sandbox, 35)
        import_inventory(cluster)
        revisions = Revision.objects.filter(cluster=cluster, name="bookstore-canary").count()
    finally:
        stop_demo_cluster(sandbox)
    assert (tmp_path / SNAPSHOT_FILE).stat().st_mode & 0o077 == 0

    again, same = start_demo_cluster()
    try:
        assert same.pk == cluster.pk and same.name == "demo" and same.api_server == again.url
        split = again.get(*SPLIT)
        assert split["spec"]["backends"][1]["weight"] == 35  # the change made before the restart
        assert split["metadata"]["uid"] == changed["metadata"]["uid"]
        assert split["metadata"]["resourceVersion"] == changed["metadata"]["resourceVersion"]
        import_inventory(same)  # what sync does first: the listing matches what the inventory holds
        assert Revision.objects.filter(cluster=same, name="bookstore-canary").count() == revisions
        after_restart = set_canary_weight(again, 40)
        assert int(after_restart["metadata"]["resourceVersion"]) > int(changed["metadata"]["resourceVersion"])
    finally:
        again.stop()


def test_without_a_saved_world_a_new_demo_replaces_the_old_record(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    sandbox, cluster = start_demo_cluster()
    try:
        import_inventory(cluster)
    finally:
        sandbox.stop()  # stopped without saving (a crash, say)
    fresh, new = start_demo_cluster()
    try:
        assert not Cluster.objects.filter(pk=cluster.pk).exists()
        assert not KubeObject.objects.filter(cluster_id=cluster.pk).exists()
        assert fresh.get(*SPLIT)["spec"]["backends"][1]["weight"] == 20
        assert new.name == "demo"
    finally:
        fresh.stop()


def test_an_unreadable_or_foreign_snapshot_starts_a_new_world(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    (tmp_path / SNAPSHOT_FILE).write_text(json.dumps({"layout": "another-layout", "resourceVersion": 5, "objects": []}))
    sandbox, _ = start_demo_cluster()
    try:
        assert sandbox.get(*SPLIT) is not None
    finally:
        sandbox.stop()
    (tmp_path / SNAPSHOT_FILE).write_text("{not json")
    sandbox, _ = start_demo_cluster()
    try:
        assert sandbox.get(*SPLIT) is not None
    finally:
        sandbox.stop()


def test_a_world_older_than_the_inventory_is_not_restored(settings, tmp_path):
    """After a crash the saved world lags what sync stored: carrying on from it would freeze the inventory."""
    settings.DATA_DIR = tmp_path
    sandbox, cluster = start_demo_cluster()
    try:
        import_inventory(cluster)
        save_demo_cluster(sandbox)  # saved ...
        set_canary_weight(sandbox, 45)  # ... then changed and synced, and the server killed before the next save
        import_inventory(cluster)
    finally:
        sandbox.stop()
    fresh, _ = start_demo_cluster()
    try:
        assert fresh.get(*SPLIT)["spec"]["backends"][1]["weight"] == 20  # a new world, not the stale one
        assert not Cluster.objects.filter(pk=cluster.pk).exists()
    finally:
        fresh.stop()


def test_the_demo_never_takes_over_a_real_cluster_named_demo(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    real = Cluster.objects.create(name="demo", api_server="https://prod.example:6443")
    with pytest.raises(RuntimeError, match="is not the demo"):
        start_demo_cluster()
    real.refresh_from_db()
    assert not real.is_demo and real.api_server == "https://prod.example:6443"
