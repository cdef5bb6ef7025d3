"""Storing what sync observes: idempotent upserts, deletions, reconciliation, attribution."""

import copy

import pytest

from smi_ui.clusters.models import Cluster
from smi_ui.inventory import services
from smi_ui.inventory.models import KubeObject, Revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster():
    return Cluster.objects.create(name="c1", api_server="https://example.invalid")


def service(name="web", rv="10", uid="uid-web", manager="kubectl-client-side-apply", port=80):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name, "namespace": "shop", "uid": uid, "resourceVersion": rv,
            "labels": {"app": name},
            "managedFields": [
                {"manager": "kube-controller", "operation": "Update", "time": "2026-01-01T00:00:00Z"},
                {"manager": manager, "operation": "Update", "time": "2026-01-02T00:00:00Z"},
            ],
        },
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": port}]},
    }


def test_first_sighting_is_created_with_indexed_fields(cluster):
    change = services.upsert_object(cluster.pk, service())
    assert change.change == "created"
    stored = KubeObject.objects.get()
    assert (stored.kind, stored.namespace, stored.name, stored.resource_version) == ("Service", "shop", "web", "10")
    assert stored.normalized["selector"] == {"app": "web"}
    assert stored.labels == {"app": "web"}


def test_same_resource_version_twice_records_one_revision(cluster):
    services.upsert_object(cluster.pk, service())
    assert services.upsert_object(cluster.pk, service()) is None
    assert Revision.objects.count() == 1


def test_modification_keeps_before_and_after_and_the_field_manager(cluster):
    services.upsert_object(cluster.pk, service())
    services.upsert_object(cluster.pk, service(rv="11", manager="kubectl-patch", port=8080))
    revision = Revision.objects.filter(change="modified").get()
    assert revision.before["spec"]["ports"][0]["port"] == 80
    assert revision.after["spec"]["ports"][0]["port"] == 8080
    assert revision.field_manager == "kubectl-patch"


def test_an_older_resource_version_never_overwrites_a_newer_one(cluster):
    services.upsert_object(cluster.pk, service(rv="12", port=9090))
    assert services.upsert_object(cluster.pk, service(rv="11", port=1)) is None
    assert KubeObject.objects.get().raw["spec"]["ports"][0]["port"] == 9090


def test_delete_removes_the_current_object_and_records_it(cluster):
    services.upsert_object(cluster.pk, service())
    change = services.delete_object(cluster.pk, service(rv="13"))
    assert change.change == "deleted"
    assert not KubeObject.objects.exists()
    assert Revision.objects.filter(change="deleted").get().before["metadata"]["resourceVersion"] == "10"


def test_recreated_object_with_a_new_uid_records_the_deletion_of_the_old_one(cluster):
    services.upsert_object(cluster.pk, service(uid="old"))
    services.upsert_object(cluster.pk, service(uid="new", rv="20"))
    assert list(Revision.objects.order_by("id").values_list("change", "uid")) == [
        ("created", "old"), ("deleted", "old"), ("created", "new"),
    ]


def test_reconciling_a_listing_deletes_what_disappeared_while_disconnected(cluster):
    services.upsert_object(cluster.pk, service("web"))
    services.upsert_object(cluster.pk, service("gone", uid="uid-gone"))
    changes = services.reconcile_listing(cluster.pk, "Service", [service("web")])
    assert [(c.name, c.change) for c in changes] == [("gone", "deleted")]
    assert list(KubeObject.objects.values_list("name", flat=True)) == ["web"]


def test_the_field_manager_is_the_newest_managed_fields_entry():
    obj = service()
    obj["metadata"]["managedFields"].reverse()
    assert services.last_field_manager(copy.deepcopy(obj)) == "kubectl-client-side-apply"


@pytest.mark.django_db
def test_an_object_with_a_nul_character_is_stored_not_refused():
    """PostgreSQL's jsonb refuses NUL; a cluster accepts it in any string: the object is stored, the NUL replaced."""
    cluster = Cluster.objects.create(name="nul")
    obj = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "odd", "namespace": "default", "uid": "u-1", "resourceVersion": "5",
                        "annotations": {"note": "a\x00b"}}, "spec": {}}
    services.apply_events(cluster.pk, [services.Observed("ADDED", obj)])
    stored = KubeObject.objects.get(cluster=cluster, name="odd")
    assert stored.raw["metadata"]["annotations"]["note"] == "a\ufffdb"
    assert obj["metadata"]["annotations"]["note"] == "a\x00b"  # the caller's object is left as it was
