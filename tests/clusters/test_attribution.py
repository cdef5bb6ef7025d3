"""Who made a change: a dashboard write names its author whichever of its answer and its watch echo is
stored first, and authorship follows the fields that changed, not the newest (one-second) timestamp."""

from __future__ import annotations

import copy
import threading

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.changes.actors import Actor
from smi_ui.changes.services import set_split_weights
from smi_ui.clusters import sync as sync_module
from smi_ui.clusters.models import Cluster
from smi_ui.clusters.sync import ClusterSync, access_for
from smi_ui.inventory import services
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.kube.client import transport_for
from smi_ui.kube.resources import smi_resource
from smi_ui.kube.watch import WatchSettings
from smi_ui.sandbox.demo import demo_objects
from smi_ui.smi.kinds import REGISTRY
from tests.conditions import wait_for
from tests.edit_support import SPLIT_V4, make_user, resource_version, world_factory  # noqa: F401 - fixture

SAME_SECOND = "2026-12-01T10:00:00Z"
FAST = WatchSettings(watch_timeout_seconds=30, backoff_initial=0.1, backoff_max=1.0, backoff_jitter=0.1)


@pytest.fixture
def cluster(db):
    return Cluster.objects.create(name="c1", api_server="https://example.invalid")


def split(rv: str, weights: tuple[int, int], *, note: str = "", managers: list[dict] | None = None) -> dict:
    metadata = {"name": "canary", "namespace": "shop", "uid": "uid-canary", "resourceVersion": rv,
                "managedFields": managers or []}
    if note:
        metadata["annotations"] = {"note": note}
    return {"apiVersion": SPLIT_V4, "kind": "TrafficSplit", "metadata": metadata,
            "spec": {"service": "web", "backends": [{"service": "web-v1", "weight": weights[0]},
                                                    {"service": "web-v2", "weight": weights[1]}]}}


def entry(manager: str, fields: dict, time: str = SAME_SECOND) -> dict:
    return {"manager": manager, "operation": "Update", "apiVersion": SPLIT_V4, "time": time,
            "fieldsType": "FieldsV1", "fieldsV1": fields}


BACKENDS = {"f:spec": {"f:backends": {}, "f:service": {}}}
NOTE = {"f:metadata": {"f:annotations": {".": {}, "f:note": {}}}}


def handler_stores(cluster_id: int, obj: dict) -> None:
    """What sync does with a watch event."""
    services.apply_events(cluster_id, [services.Observed("MODIFIED", copy.deepcopy(obj))])


def web_stores(cluster_id: int, obj: dict, actor: str = "alice") -> None:
    """What the edit pipeline does with the write's answer."""
    services.upsert_object(cluster_id, copy.deepcopy(obj), source="dashboard", actor=actor)


@pytest.mark.parametrize("order", ["echo first", "answer first"])
def test_a_dashboard_write_is_attributed_whichever_is_stored_first(cluster, order):
    web_stores(cluster.pk, split("10", (90, 10), managers=[entry("smi-ui", BACKENDS)]), actor="setup")
    written = split("11", (50, 50), managers=[entry("smi-ui", BACKENDS)])
    steps = [handler_stores, web_stores] if order == "echo first" else [web_stores, handler_stores]
    for step in steps:
        step(cluster.pk, written)
    revision = Revision.objects.get(cluster=cluster, resource_version="11")  # one row, never a second
    assert (revision.source, revision.actor, revision.field_manager) == ("dashboard", "alice", "smi-ui")
    assert revision.before["spec"]["backends"][0]["weight"] == 90
    assert KubeObject.objects.get(cluster=cluster).resource_version == "11"


def test_the_answer_of_a_write_the_watch_has_already_moved_past_still_names_its_author(cluster):
    handler_stores(cluster.pk, split("10", (90, 10), managers=[entry("smi-ui", BACKENDS)]))
    handler_stores(cluster.pk, split("11", (50, 50), managers=[entry("smi-ui", BACKENDS)]))
    handler_stores(cluster.pk, split("12", (50, 50), note="x",
                                     managers=[entry("smi-ui", BACKENDS), entry("kubectl-annotate", NOTE)]))
    web_stores(cluster.pk, split("11", (50, 50), managers=[entry("smi-ui", BACKENDS)]))
    assert list(Revision.objects.order_by("id").values_list("resource_version", "actor")) == [
        ("10", ""), ("11", "alice"), ("12", ""),
    ]
    assert KubeObject.objects.get(cluster=cluster).resource_version == "12"


@pytest.mark.parametrize("order", ["echo first", "answer first"])
def test_a_dashboard_deletion_is_attributed_whichever_is_stored_first(cluster, order):
    obj = split("10", (90, 10), managers=[entry("smi-ui", BACKENDS)])
    handler_stores(cluster.pk, obj)
    gone = split("11", (90, 10))

    def echo(cluster_id, document):
        services.apply_events(cluster_id, [services.Observed("DELETED", copy.deepcopy(document))])

    def answer(cluster_id, document):  # what the edit pipeline stores: the object it read, then the answer
        services.store_write(cluster_id, copy.deepcopy(document), base=copy.deepcopy(obj), deleted=True,
                             source="dashboard", actor="alice")

    for step in ([echo, answer] if order == "echo first" else [answer, echo]):
        step(cluster.pk, gone)
    revision = Revision.objects.get(cluster=cluster, change="deleted")
    assert (revision.source, revision.actor) == ("dashboard", "alice")
    assert not KubeObject.objects.exists()
    assert list(Revision.objects.order_by("id").values_list("change", flat=True)) == ["created", "deleted"]


def test_the_object_a_write_was_based_on_is_recorded_first_when_the_watch_lags(cluster):
    handler_stores(cluster.pk, split("10", (90, 10), managers=[entry("smi-ui", BACKENDS)]))
    base = split("11", (90, 10), note="a", managers=[entry("smi-ui", BACKENDS), entry("kubectl-annotate", NOTE)])
    written = split("12", (50, 50), note="a", managers=[entry("smi-ui", BACKENDS), entry("kubectl-annotate", NOTE)])
    services.store_write(cluster.pk, written, base=base, source="dashboard", actor="alice")
    handler_stores(cluster.pk, base)  # the lagging watch delivers both afterwards: no-ops
    handler_stores(cluster.pk, written)
    history = Revision.objects.filter(change="modified").order_by("id")
    assert [(r.resource_version, r.field_manager, r.actor) for r in history] == [
        ("11", "kubectl-annotate", ""), ("12", "smi-ui", "alice"),
    ]
    assert history[1].before["metadata"]["annotations"] == {"note": "a"}  # compared with what it was based on


@pytest.mark.parametrize("listed_first", ["smi-ui", "kubectl-annotate"])
def test_a_kubectl_write_in_the_same_second_does_not_take_the_authorship(cluster, listed_first):
    def managers(dashboard_time=SAME_SECOND):
        entries = [entry("smi-ui", BACKENDS, dashboard_time), entry("kubectl-annotate", NOTE)]
        return entries if listed_first == "smi-ui" else entries[::-1]

    handler_stores(cluster.pk, split("10", (90, 10), managers=[entry("smi-ui", BACKENDS, "2026-12-01T09:00:00Z")]))
    handler_stores(cluster.pk, split("11", (90, 10), note="a",
                                     managers=managers("2026-12-01T09:00:00Z")))  # kubectl annotate
    handler_stores(cluster.pk, split("12", (60, 40), note="a", managers=managers()))  # dashboard, same second
    handler_stores(cluster.pk, split("13", (60, 40), note="b", managers=managers()))  # kubectl again, same second
    authors = dict(Revision.objects.filter(change="modified").values_list("resource_version", "field_manager"))
    assert authors == {"11": "kubectl-annotate", "12": "smi-ui", "13": "kubectl-annotate"}


def test_without_field_sets_the_entry_this_write_touched_is_the_author():
    earlier = "2026-12-01T09:00:00Z"
    before = split("10", (90, 10), managers=[entry("kubectl-annotate", {}), entry("smi-ui", {}, earlier)])
    after = split("11", (50, 50), managers=[entry("kubectl-annotate", {}), entry("smi-ui", {})])
    assert services.author_of(before, after) == "smi-ui"


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
@pytest.mark.parametrize("order", ["echo first", "answer first"])
def test_end_to_end_every_edit_is_attributed_in_both_orders_beside_a_kubectl_writer(world_factory, monkeypatch,  # noqa: F811
                                                                                   order):
    world = world_factory(objects=demo_objects())
    cluster = world.cluster
    held = threading.Event()

    def stored_at(version: str):
        return KubeObject.objects.filter(cluster=cluster, name="bookstore-canary", resource_version=version).exists()

    original_store = services.store_write
    original_on_events = sync_module.InventoryHandler.on_events

    def answer_after_echo(cluster_id, written, **options):  # the web's store waits for sync's
        wait_for(lambda: stored_at(written["metadata"]["resourceVersion"]), what="the echo stored first")
        return original_store(cluster_id, written, **options)

    def echo_after_answer(self, resource, events):  # sync waits for the web's store
        if resource.kind == "TrafficSplit" and held.is_set():
            wait_for(lambda: not held.is_set(), what="the answer stored first")
        return original_on_events(self, resource, events)

    if order == "echo first":
        monkeypatch.setattr(services, "store_write", answer_after_echo)
    sync = ClusterSync(cluster, watch_settings=FAST, rediscover_seconds=30)
    sync.start()
    try:
        wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", timeout=30, what="connected")
        if order == "answer first":
            monkeypatch.setattr(sync_module.InventoryHandler, "on_events", echo_after_answer)
        actor = Actor.for_user(make_user("olivia", Role.OPERATOR))
        transport = transport_for(access_for(cluster), user_agent="kubectl/v1.36")
        split_resource = smi_resource(REGISTRY["TrafficSplit"], "v1alpha4")
        edited: list[str] = []
        annotated: list[str] = []
        for round_number in range(4):
            live = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
            held.set()
            written = set_split_weights(actor, cluster, "bookstore", "bookstore-canary",
                                        {"bookstore-v2": 21 + round_number},
                                        base_resource_version=resource_version(live))
            held.clear()
            edited.append(resource_version(written.object))
            # a kubectl-like writer (another field manager) right after, within the same second
            annotated.append(resource_version(transport.request(
                "PATCH", split_resource.path("bookstore", "bookstore-canary"),
                query={"fieldManager": "kubectl-annotate"},
                body={"metadata": {"annotations": {"note": str(round_number)}}},
                content_type="application/merge-patch+json")))
        last = annotated[-1]
        wait_for(lambda: stored_at(last), timeout=30, what="every change synced")
        revisions = {r.resource_version: r for r in Revision.objects.filter(cluster=cluster, name="bookstore-canary",
                                                                            change="modified")}
        def tied(version: str) -> bool:  # both managers' entries carry the same (one-second) time
            times = {e["manager"]: e["time"] for e in revisions[version].after["metadata"]["managedFields"]}
            return times.get("kubectl-annotate") == times.get("smi-ui")

        assert any(tied(version) for version in edited[1:])  # the newest-time rule could not tell them apart
        assert [(revisions[v].source, revisions[v].actor, revisions[v].field_manager) for v in edited] == \
            [("dashboard", "olivia", "smi-ui")] * len(edited)
        assert [(revisions[v].source, revisions[v].actor, revisions[v].field_manager) for v in annotated] == \
            [("sync", "", "kubectl-annotate")] * len(annotated)
        assert Revision.objects.filter(cluster=cluster, name="bookstore-canary").count() == \
            len(edited) + len(annotated) + 1  # the created one, then one row per change
    finally:
        held.clear()
        sync.stop()
