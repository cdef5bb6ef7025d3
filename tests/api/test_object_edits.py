"""Create, update, delete and revert of every SMI kind, and the ownership guard, through the API."""

from __future__ import annotations

import copy

import pytest
import yaml

from smi_ui.accounts.roles import Role
from smi_ui.audit.models import AuditEntry
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.sandbox.demo import demo_objects
from tests.edit_support import SPLIT_V4, make_user, resource_version, split_url, token_client

pytestmark = pytest.mark.django_db

ROUTES_YAML = """
apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata:
  name: reviews-routes
  namespace: bookstore
  annotations: {owner: team-books}
spec:
  matches:
  - name: list
    pathRegex: /reviews
    methods: [GET]
"""


@pytest.fixture
def editor():
    return make_user("pat", Role.POLICY_EDITOR)


def object_url(world, plural, name, namespace="bookstore"):
    return f"/api/objects/{world.cluster.name}/{namespace}/{plural}/{name}/"


def test_create_from_yaml_update_from_json_and_delete(world, editor):
    client = token_client(editor)
    created = client.post("/api/objects/", {"cluster": world.cluster.name, "yaml": ROUTES_YAML}, format="json")
    assert created.status_code == 201, created.json()
    live = world.live("specs.smi-spec.io/v1alpha4", "HTTPRouteGroup", "reviews-routes", "bookstore")
    assert live["spec"]["matches"][0]["pathRegex"] == "/reviews"
    assert KubeObject.objects.filter(cluster=world.cluster, kind="HTTPRouteGroup", name="reviews-routes").exists()

    manifest = yaml.safe_load(ROUTES_YAML)
    manifest["spec"]["matches"].append({"name": "post", "pathRegex": "/reviews", "methods": ["POST"]})
    del manifest["metadata"]["annotations"]  # not given: kept as they are
    updated = client.put(object_url(world, "httproutegroups", "reviews-routes"), {
        "base_resource_version": resource_version(live), "manifest": manifest}, format="json")
    assert updated.status_code == 200, updated.json()
    live = world.live("specs.smi-spec.io/v1alpha4", "HTTPRouteGroup", "reviews-routes", "bookstore")
    assert [m["name"] for m in live["spec"]["matches"]] == ["list", "post"]
    assert live["metadata"]["annotations"] == {"owner": "team-books"}

    deleted = client.delete(object_url(world, "httproutegroups", "reviews-routes")
                            + f"?resource_version={resource_version(live)}")
    assert deleted.status_code == 200, deleted.json()
    assert world.live("specs.smi-spec.io/v1alpha4", "HTTPRouteGroup", "reviews-routes", "bookstore") is None
    assert not KubeObject.objects.filter(cluster=world.cluster, kind="HTTPRouteGroup", name="reviews-routes").exists()
    assert list(AuditEntry.objects.order_by("sequence").values_list("action", "outcome")) == [
        ("create", "succeeded"), ("update", "succeeded"), ("delete", "succeeded")]


def test_every_smi_kind_can_be_created_as_json(world, editor):
    client = token_client(editor)
    for obj in demo_objects():
        if obj["kind"] not in {"TrafficSplit", "TrafficTarget", "HTTPRouteGroup", "TCPRoute", "UDPRoute"}:
            continue
        manifest = copy.deepcopy(obj)
        manifest["metadata"]["name"] = obj["metadata"]["name"] + "-copy"
        response = client.post("/api/objects/", {"cluster": world.cluster.name, "manifest": manifest,
                                                 "preview": True}, format="json")
        assert response.status_code == 200, (obj["kind"], response.json())
        assert response.json()["verdict"]["accepted"], response.json()
    assert world.real_writes() == []


def test_stale_delete_is_a_conflict(world, editor):
    live = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
    world.handle.cluster.apply({**live, "metadata": {**live["metadata"], "labels": {"moved": "on"}}})
    response = token_client(editor).delete(split_url(world) + f"?resource_version={resource_version(live)}")
    assert response.status_code == 409
    assert response.json()["current"]["metadata"]["labels"] == {"moved": "on"}
    assert world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore") is not None


def test_update_with_many_problems_lists_every_one_and_sends_nothing(world, editor):
    live = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
    manifest = {"apiVersion": SPLIT_V4, "kind": "TrafficSplit",
                "metadata": {"name": "bookstore-canary", "namespace": "bookstore"},
                "spec": {"service": "Book Store", "backends": [{"service": "bookstore-v1", "weight": -1},
                                                               {"service": "bookstore-v1", "weight": "x"}],
                         "surprise": 1}}
    response = token_client(editor).put(split_url(world), {"base_resource_version": resource_version(live),
                                                           "manifest": manifest}, format="json")
    assert response.status_code == 400
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"spec.service", "spec.backends[0].weight", "spec.backends[1].weight", "spec.backends[1].service",
            "spec.surprise"} <= paths
    assert world.writes() == []


def test_bad_yaml_is_a_400_naming_the_line(world, editor):
    response = token_client(editor).post("/api/objects/", {"cluster": world.cluster.name,
                                                           "yaml": "kind: [unclosed\n  foo: bar"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "yaml"
    assert "line" in response.json()["errors"][0]["message"]


def test_a_manifest_in_a_version_the_cluster_no_longer_serves_is_converted(world, editor):
    live = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
    old = {"apiVersion": "split.smi-spec.io/v1alpha2", "kind": "TrafficSplit",
           "metadata": {"name": "bookstore-canary", "namespace": "bookstore"},
           "spec": {"service": "bookstore", "backends": [{"service": "bookstore-v1", "weight": 30},
                                                         {"service": "bookstore-v2", "weight": 70}]}}
    response = token_client(editor).put(split_url(world), {"base_resource_version": resource_version(live),
                                                           "manifest": old}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["api_version"] == SPLIT_V4
    live = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
    assert [b["weight"] for b in live["spec"]["backends"]] == [30, 70]


FLAGGER_SPLIT = {
    "apiVersion": SPLIT_V4, "kind": "TrafficSplit",
    "metadata": {"name": "podinfo", "namespace": "bookstore", "ownerReferences": [{
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary", "name": "podinfo", "controller": True,
        "blockOwnerDeletion": True, "uid": "9b1c2e0c-1111-4222-8333-444455556666"}]},
    "spec": {"service": "podinfo", "backends": [{"service": "podinfo-primary", "weight": 90},
                                                {"service": "podinfo-canary", "weight": 10}]},
}
ARGO_SPLIT = {
    "apiVersion": SPLIT_V4, "kind": "TrafficSplit",
    "metadata": {"name": "rollout-split", "namespace": "bookstore",
                 "annotations": {"rollouts.argoproj.io/managed-by-rollouts": "checkout"}},
    "spec": {"service": "checkout", "backends": [{"service": "checkout-stable", "weight": 100},
                                                 {"service": "checkout-canary", "weight": 0}]},
}


def test_flagger_owned_split_is_refused_without_force(world_factory):
    world = world_factory(objects=[*demo_objects(), FLAGGER_SPLIT])
    operator = make_user("olivia", Role.OPERATOR)
    base = resource_version(world.live(SPLIT_V4, "TrafficSplit", "podinfo", "bookstore"))
    url = split_url(world, "weights/", name="podinfo")
    edit = {"base_resource_version": base, "weights": {"podinfo-canary": 50, "podinfo-primary": 50}}
    refused = token_client(operator).post(url, edit, format="json")
    assert refused.status_code == 409
    body = refused.json()
    assert body["errors"][0]["code"] == "managed-by-controller"
    assert body["controller"]["name"] == "Flagger"
    assert "Canary podinfo" in body["errors"][0]["message"] and "revert" in body["errors"][0]["message"]
    not_allowed = token_client(operator).post(url, {**edit, "force": True}, format="json")
    assert not_allowed.status_code == 403
    assert world.writes() == []
    admin = make_user("ada", Role.ADMIN)
    forced = token_client(admin).post(url, {**edit, "force": True}, format="json")
    assert forced.status_code == 200, forced.json()
    assert forced.json()["forced"] is True
    assert [b["weight"] for b in world.live(SPLIT_V4, "TrafficSplit", "podinfo", "bookstore")["spec"]["backends"]] \
        == [50, 50]
    outcomes = list(AuditEntry.objects.order_by("sequence").values_list("outcome", "forced"))
    assert outcomes == [("rejected", False), ("denied", False), ("succeeded", True)]


def test_argo_rollouts_marker_is_recognised(world_factory):
    world = world_factory(objects=[*demo_objects(), ARGO_SPLIT])
    admin = make_user("ada", Role.ADMIN)
    base = resource_version(world.live(SPLIT_V4, "TrafficSplit", "rollout-split", "bookstore"))
    response = token_client(admin).post(split_url(world, "weights/", name="rollout-split"), {
        "base_resource_version": base, "weights": {"checkout-canary": 10}}, format="json")
    assert response.status_code == 409
    assert response.json()["controller"]["name"] == "Argo Rollouts"


def test_revert_restores_an_earlier_revision_as_an_audited_edit(world, editor):
    client = token_client(editor)
    original = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
    first = Revision.objects.get(cluster=world.cluster, kind="TrafficSplit", name="bookstore-canary")
    step = client.post(split_url(world, "weights/"), {"base_resource_version": resource_version(original),
                                                      "weights": {"bookstore-v2": 60, "bookstore-v1": 40}},
                       format="json").json()
    step = client.post(split_url(world, "weights/"), {"base_resource_version": step["resource_version"],
                                                      "weights": {"bookstore-v2": 100, "bookstore-v1": 0}},
                       format="json").json()
    history = client.get(split_url(world, "revisions/")).json()
    assert [r["id"] for r in history["results"]][-1] == first.pk
    assert len(history["results"]) == 3
    reverted = client.post(split_url(world, "revert/"), {"revision": first.pk,
                                                         "base_resource_version": step["resource_version"]},
                           format="json")
    assert reverted.status_code == 200, reverted.json()
    live = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
    assert live["spec"] == original["spec"]
    assert live["metadata"]["annotations"] == original["metadata"]["annotations"]
    entry = AuditEntry.objects.get(pk=reverted.json()["audit_id"])
    assert (entry.action, entry.outcome) == ("revert", "succeeded")
    assert f"revision {first.pk}" in entry.summary


def test_revert_of_a_deletion_recreates_the_object(world, editor):
    client = token_client(editor)
    live = world.live("specs.smi-spec.io/v1alpha4", "TCPRoute", "mysql-tcp", "bookstore")
    deleted = client.delete(object_url(world, "tcproutes", "mysql-tcp") + f"?resource_version={resource_version(live)}")
    assert deleted.status_code == 200, deleted.json()
    deletion = Revision.objects.get(cluster=world.cluster, kind="TCPRoute", name="mysql-tcp", change="deleted")
    reverted = client.post(object_url(world, "tcproutes", "mysql-tcp") + "revert/",
                           {"revision": deletion.pk, "base_resource_version": ""}, format="json")
    assert reverted.status_code == 200, reverted.json()
    again = world.live("specs.smi-spec.io/v1alpha4", "TCPRoute", "mysql-tcp", "bookstore")
    assert again["spec"] == live["spec"]
    assert again["metadata"]["uid"] != live["metadata"]["uid"]


def test_nul_characters_anywhere_in_a_body_are_refused_naming_where(admin_client):
    response = admin_client.post("/api/access/grants/", {"user": "a\x00b", "role": "viewer"},
                                 content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "user"
