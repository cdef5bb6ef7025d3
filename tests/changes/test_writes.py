"""The service layer's contract with the cluster: CLI parity, the cluster's verdicts, failures, impersonation."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from smi_ui.accounts.roles import Role
from smi_ui.audit.models import AuditEntry
from smi_ui.changes.actors import Actor
from smi_ui.changes.errors import ClusterRejected, ClusterUnavailable
from smi_ui.changes.services import create_object, set_split_weights
from smi_ui.clusters.sync import ClusterSync
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.kube.watch import WatchSettings
from smi_ui.sandbox.auth import Rule, User
from smi_ui.sandbox.demo import demo_objects
from tests.edit_support import SPLIT_V4, make_user, resource_version, split_url, token_client

NEW_SPLIT = {"apiVersion": SPLIT_V4, "kind": "TrafficSplit", "metadata": {"name": "ghost", "namespace": "nowhere"},
             "spec": {"service": "ghost", "backends": [{"service": "ghost-v1", "weight": 1}]}}


def weights(world):
    live = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
    return [b["weight"] for b in live["spec"]["backends"]]


@pytest.mark.django_db
def test_cli_split_set_goes_through_the_same_service_and_is_audited_as_cli(world):
    out = io.StringIO()
    call_command("split", "set", f"{world.cluster.name}/bookstore/bookstore-canary", "bookstore-v1=55",
                 "bookstore-v2=45", stdout=out)
    assert "shares" in out.getvalue() and '"bookstore-v2": 45.0' in out.getvalue()
    assert weights(world) == [55, 45]
    entry = AuditEntry.objects.get()
    assert (entry.source, entry.outcome, entry.actor.startswith("cli:")) == ("cli", "succeeded", True)
    assert Revision.objects.filter(name="bookstore-canary", source="cli").exists()
    with pytest.raises(CommandError, match="weights.bookstore-v3"):
        call_command("split", "set", f"{world.cluster.name}/bookstore/bookstore-canary", "bookstore-v3=1")
    with pytest.raises(CommandError, match="EditConflict"):
        call_command("split", "set", f"{world.cluster.name}/bookstore/bookstore-canary", "bookstore-v1=1",
                     "--resource-version", "1")
    assert weights(world) == [55, 45]


@pytest.mark.django_db
def test_cli_acting_as_a_user_is_held_to_their_grants(world):
    make_user("vera", Role.VIEWER)
    with pytest.raises(CommandError, match="EditDenied"):
        call_command("split", "set", f"{world.cluster.name}/bookstore/bookstore-canary", "bookstore-v1=1",
                     "--user", "vera")
    assert weights(world) == [80, 20]


@pytest.mark.django_db
def test_the_clusters_verdict_is_shown_in_preview_and_refuses_the_write(world):
    actor = Actor.for_user(make_user("pat", Role.POLICY_EDITOR))
    preview = create_object(actor, world.cluster, NEW_SPLIT, preview=True)
    assert preview.verdict.accepted is False
    assert preview.verdict.errors[0]["path"] == "metadata.namespace"
    with pytest.raises(ClusterRejected):
        create_object(actor, world.cluster, NEW_SPLIT)
    assert world.real_writes() == []
    assert list(AuditEntry.objects.order_by("sequence").values_list("dry_run", "outcome")) == [
        (True, "rejected"), (False, "rejected")]


@pytest.mark.django_db
def test_a_failing_cluster_is_a_502_recorded_as_failed(world):
    operator = make_user("olivia", Role.OPERATOR)
    base = resource_version(world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore"))
    world.handle.cluster.fail_next(5, status=500)
    response = token_client(operator).post(split_url(world, "weights/"), {
        "base_resource_version": base, "weights": {"bookstore-v2": 30}}, format="json")
    assert response.status_code == 502
    assert response.json()["errors"][0]["code"] == "cluster-500"
    assert AuditEntry.objects.get().outcome == "failed"
    world.handle.cluster.clear_faults()
    assert weights(world) == [80, 20]
    with pytest.raises(ClusterUnavailable):
        world.handle.cluster.fail_next(5, status=503)
        set_split_weights(Actor.for_user(operator), world.cluster, "bookstore", "bookstore-canary",
                          {"bookstore-v2": 30}, base_resource_version=base)


READ_ALL = Rule(("get", "list", "watch"))
TOKENS = {
    "dashboard-token": User("smi-ui", rules=(Rule(("*",)),)),
    "alice-token": User("alice", rules=(READ_ALL,)),
    "bob-token": User("bob", rules=(READ_ALL, Rule(("update",), ("split.smi-spec.io",), ("trafficsplits",)))),
}


@pytest.mark.django_db
@override_settings(WRITE_AS_DASHBOARD_USER=True)
def test_writing_as_the_dashboard_user_lets_the_clusters_rbac_decide(world_factory):
    world = world_factory(tokens=TOKENS, user="smi-ui")
    base = resource_version(world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore"))
    body = {"base_resource_version": base, "weights": {"bookstore-v2": 30}}
    alice = token_client(make_user("alice", Role.OPERATOR))
    refused = alice.post(split_url(world, "weights/"), body, format="json")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "cluster-forbidden"
    assert 'User "alice" cannot update' in refused.json()["errors"][0]["message"]
    bob = token_client(make_user("bob", Role.OPERATOR))
    accepted = bob.post(split_url(world, "weights/"), body, format="json")
    assert accepted.status_code == 200, accepted.json()
    assert {r.user for r in world.real_writes()} == {"bob"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_the_watch_echo_of_our_own_write_changes_nothing(world_factory):
    world = world_factory(objects=demo_objects())
    sync = ClusterSync(world.cluster, watch_settings=WatchSettings(watch_timeout_seconds=30, backoff_initial=0.1,
                                                                   backoff_max=1.0), rediscover_seconds=30)
    sync.start()
    try:
        actor = Actor.for_user(make_user("olivia", Role.OPERATOR))
        base = resource_version(world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore"))
        written = set_split_weights(actor, world.cluster, "bookstore", "bookstore-canary", {"bookstore-v2": 35},
                                    base_resource_version=base)
        version = resource_version(written.object)
        stored = KubeObject.objects.get(cluster=world.cluster, kind="TrafficSplit", name="bookstore-canary")
        assert stored.resource_version == version  # visible at once, before any watch event
        # A later change elsewhere, once stored, proves the watch has delivered our write's echo too.
        marker = world.handle.cluster.apply({**world.live(SPLIT_V4, "TrafficSplit", "catalog-ab-test",
                                                          "storefront"),
                                             "metadata": {"name": "catalog-ab-test", "namespace": "storefront",
                                                          "labels": {"seen": "yes"}}})[0]
        deadline_wait(lambda: KubeObject.objects.filter(name="catalog-ab-test",
                                                        resource_version=resource_version(marker)).exists())
        revisions = Revision.objects.filter(cluster=world.cluster, name="bookstore-canary", change="modified")
        assert [(r.resource_version, r.source) for r in revisions] == [(version, "dashboard")]
    finally:
        sync.stop()


def deadline_wait(condition, timeout: float = 20) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.mark.django_db
def test_the_audit_log_says_what_a_write_stored_and_what_a_preview_judged(world):
    operator = Actor.for_user(make_user("olga", "operator"))
    split = world.live("split.smi-spec.io/v1alpha4", "TrafficSplit", "bookstore-canary", "bookstore")
    base = split["metadata"]["resourceVersion"]
    wanted = {"bookstore-v1": 70, "bookstore-v2": 30}
    set_split_weights(operator, world.cluster, "bookstore", "bookstore-canary", wanted, base_resource_version=base,
                      preview=True)
    result = set_split_weights(operator, world.cluster, "bookstore", "bookstore-canary",
                               {"bookstore-v1": 70, "bookstore-v2": 30}, base_resource_version=base)
    preview, write = AuditEntry.objects.order_by("sequence")
    assert preview.dry_run and "dry run" in preview.message
    stored = result.object["metadata"]["resourceVersion"]
    assert write.message == (f"written: the cluster stored resourceVersion {stored} "
                             "(after its dry run accepted the change)")
    assert write.resource_version == stored
