"""Watch events stored in batches: a few statements per batch, in order per object, nothing lost,
every change published; and bursts from a real watch arrive in batches, not one by one."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smi_ui.clusters.models import Cluster, KindStatus
from smi_ui.clusters.services import register_from_kubeconfig
from smi_ui.clusters.sync import ClusterSync, InventoryHandler
from smi_ui.inventory import services
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.kube.watch import EventFeed, Reflector, ResourceVersionExpired, WatchSettings
from tests.conditions import wait_for


def service(name: str, rv: int, *, uid: str | None = None, port: int = 80) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "shop", "uid": uid or f"uid-{name}", "resourceVersion": str(rv)},
            "spec": {"selector": {"app": name}, "ports": [{"port": port}]}}


def observed(kind: str, obj: dict) -> services.Observed:
    return services.Observed(kind, obj)


@pytest.fixture
def cluster(db):
    return Cluster.objects.create(name="c1", api_server="https://example.invalid")


def test_a_batch_applies_in_order_per_object_with_every_revision(cluster):
    services.upsert_object(cluster.pk, service("web", 1))
    services.upsert_object(cluster.pk, service("old", 2))
    events = [
        observed("MODIFIED", service("web", 3, port=81)),
        observed("ADDED", service("api", 4)),
        observed("MODIFIED", service("web", 5, port=82)),
        observed("DELETED", service("old", 6)),
        observed("ADDED", service("old", 7, uid="uid-old-2")),  # re-created under the same name
        observed("MODIFIED", service("api", 8, port=9090)),
        observed("DELETED", service("api", 9)),
        observed("MODIFIED", service("web", 3, port=81)),  # a replay of what the batch already moved past
    ]
    changes = services.apply_events(cluster.pk, events)
    assert [(c.name, c.resource_version, c.change) for c in changes] == [
        ("web", "3", "modified"), ("api", "4", "created"), ("web", "5", "modified"), ("old", "6", "deleted"),
        ("old", "7", "created"), ("api", "8", "modified"), ("api", "9", "deleted"),
    ]
    current = dict(KubeObject.objects.values_list("name", "resource_version"))
    assert current == {"web": "5", "old": "7"}
    assert KubeObject.objects.get(name="old").uid == "uid-old-2"
    history = list(Revision.objects.filter(name="web").order_by("id").values_list("resource_version", "change"))
    assert history == [("1", "created"), ("3", "modified"), ("5", "modified")]
    modified = Revision.objects.get(name="web", resource_version="5")
    assert (modified.before["spec"]["ports"][0]["port"], modified.after["spec"]["ports"][0]["port"]) == (81, 82)
    assert Revision.objects.filter(name="api").count() == 3
    # a replay of changes to objects that still exist is a no-op
    assert services.apply_events(cluster.pk, [events[0], events[2], events[4]]) == []


def test_a_batch_costs_a_few_statements_not_several_per_event(cluster):
    services.reconcile_listing(cluster.pk, "Service", [service(f"svc-{i}", 1) for i in range(200)])
    batch = [observed("MODIFIED", service(f"svc-{i}", 2, port=81)) for i in range(200)]
    with CaptureQueriesContext(connection) as queries:
        services.apply_events(cluster.pk, batch)
    assert len(queries) <= 15, [q["sql"][:80] for q in queries]  # was about five per event: 1,000
    assert set(KubeObject.objects.values_list("resource_version", flat=True)) == {"2"}
    assert Revision.objects.filter(change="modified").count() == 200


def test_the_feed_hands_over_what_has_arrived_and_failures_after_the_events_before_them():
    arrived = threading.Event()

    def stream():
        for number in range(5):
            yield {"type": "MODIFIED", "object": {"metadata": {"resourceVersion": str(number)}}}
        arrived.set()
        raise OSError("connection reset")

    feed = EventFeed(threading.Event(), name="test-feed", capacity=100)
    feed.start(stream())
    arrived.wait(5)
    batches = feed.batches(limit=3, linger=0.01)
    assert [len(next(batches)), len(next(batches))] == [3, 2]
    with pytest.raises(OSError, match="connection reset"):
        next(batches)


class Collecting:
    def __init__(self):
        self.batches: list[list] = []

    def on_events(self, resource, events):
        self.batches.append(events)


def test_an_error_event_ends_the_watch_after_the_events_before_it_are_stored():
    handler = Collecting()
    reflector = Reflector(None, None, handler, settings=WatchSettings())
    reflector.resource_version = "1"
    batch = [{"type": "MODIFIED", "object": {"metadata": {"resourceVersion": "2"}}},
             {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "3"}}},
             {"type": "ERROR", "object": {"code": 410, "message": "too old resource version"}},
             {"type": "MODIFIED", "object": {"metadata": {"resourceVersion": "4"}}}]
    with pytest.raises(ResourceVersionExpired):
        reflector._hand_over(batch)
    assert [[obj["metadata"]["resourceVersion"] for _, obj in events] for events in handler.batches] == [["2"]]
    assert reflector.resource_version == "3"


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_burst_from_the_watch_is_stored_in_batches_in_order_and_all_published(sandbox_factory, monkeypatch):
    names = [f"svc-{i}" for i in range(40)]
    handle = sandbox_factory(objects=[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
                                      *({"apiVersion": "v1", "kind": "Service",
                                         "metadata": {"name": name, "namespace": "shop"},
                                         "spec": {"ports": [{"port": 80}]}} for name in names)])
    (cluster,) = register_from_kubeconfig(handle.kubeconfig)
    sizes: list[int] = []
    published: list[tuple[str, str]] = []
    original = InventoryHandler.on_events

    def counting(self, resource, events):
        if resource.kind == "Service":
            sizes.append(len(events))
        return original(self, resource, events)

    monkeypatch.setattr(InventoryHandler, "on_events", counting)
    monkeypatch.setattr("smi_ui.clusters.sync.publish_change",
                        lambda cluster_id, kind, namespace, name, rv, change: published.append((name, rv)))
    sync = ClusterSync(cluster, watch_settings=WatchSettings(watch_timeout_seconds=60, backoff_initial=0.1),
                       rediscover_seconds=30)
    sync.start()
    try:
        wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", timeout=30, what="connected")
        assert KindStatus.objects.get(cluster=cluster, kind="Service").last_event_at is None
        published.clear()  # what the first listing published
        last = None
        for round_number in range(10):  # 400 changes, ten of each object, sent as fast as the sandbox takes them
            for name in names:
                last = handle.cluster.apply({"apiVersion": "v1", "kind": "Service",
                                             "metadata": {"name": name, "namespace": "shop",
                                                          "labels": {"round": str(round_number)}},
                                             "spec": {"ports": [{"port": 80}]}})[0]
        wanted = last["metadata"]["resourceVersion"]
        wait_for(lambda: KubeObject.objects.filter(cluster=cluster, name=names[-1], resource_version=wanted).exists(),
                 timeout=60, what="the burst stored")
        assert sum(sizes) == 400 and max(sizes) > 1  # batches, not one event at a time
        labels = KubeObject.objects.filter(cluster=cluster, kind="Service", namespace="shop").values_list("labels",
                                                                                          flat=True)
        assert all(label == {"round": "9"} for label in labels), list(labels)  # the last change of each object won
        assert Revision.objects.filter(cluster=cluster, kind="Service", change="modified").count() == 400
        assert len([name for name, _ in published if name in names]) == 400  # every change published
        assert KindStatus.objects.get(cluster=cluster, kind="Service").last_event_at is not None
    finally:
        sync.stop()
