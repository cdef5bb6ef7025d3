"""TrafficSplit edits through the API against the sandbox: versions, preservation, conflicts, validation."""

from __future__ import annotations

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.audit.models import AuditEntry
from smi_ui.inventory.models import KubeObject, Revision
from tests.edit_support import SPLIT_V4, make_user, resource_version, split_url, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return make_user("olivia", Role.OPERATOR)


def live_split(world, name="bookstore-canary", namespace="bookstore", api_version=SPLIT_V4):
    return world.live(api_version, "TrafficSplit", name, namespace)


def weights_of(obj):
    return {b["service"]: b["weight"] for b in obj["spec"]["backends"]}


def test_weight_edit_is_written_in_the_objects_version_and_shown_at_once(world, operator):
    base = resource_version(live_split(world))
    response = token_client(operator).post(split_url(world, "weights/"), {
        "base_resource_version": base, "weights": {"bookstore-v1": 60, "bookstore-v2": 40}}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["shares"]["bookstore-v2"]["percent"] == 40.0
    assert body["resource_version"] != base
    live = live_split(world)
    assert weights_of(live) == {"bookstore-v1": 60, "bookstore-v2": 40}
    assert live["metadata"]["annotations"]["smi-ui.io/description"] == "bookstore v2 canary, step 2 of 5"
    put = [r for r in world.real_writes() if r.method == "PUT"]
    assert [r.path for r in put] == ["/apis/split.smi-spec.io/v1alpha4/namespaces/bookstore/trafficsplits/"
                                     "bookstore-canary"]
    assert put[0].query["fieldManager"] == "smi-ui"
    stored = KubeObject.objects.get(cluster=world.cluster, kind="TrafficSplit", name="bookstore-canary")
    assert stored.resource_version == body["resource_version"]  # no waiting for the watch
    assert stored.normalized["shares"]["bookstore-v2"]["percent"] == 40.0
    revision = Revision.objects.filter(cluster=world.cluster, name="bookstore-canary", change="modified").get()
    assert (revision.source, revision.actor) == ("dashboard", "olivia")


V1ALPHA1_SPLIT = {
    "apiVersion": "split.smi-spec.io/v1alpha1", "kind": "TrafficSplit",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"service": "web", "backends": [{"service": "web-v1", "weight": "900m"},
                                            {"service": "web-v2", "weight": "100m"}]},
}


def test_v1alpha1_quantities_stay_quantities(world_factory, operator):
    world = world_factory(layout="linkerd-smi", objects=[V1ALPHA1_SPLIT])
    base = resource_version(live_split(world, "web", "default", "split.smi-spec.io/v1alpha1"))
    response = token_client(operator).post(split_url(world, "weights/", "default", "web"), {
        "base_resource_version": base, "weights": {"web-v1": "750m", "web-v2": "250m"}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["api_version"] == "split.smi-spec.io/v1alpha1"
    live = live_split(world, "web", "default", "split.smi-spec.io/v1alpha1")
    assert weights_of(live) == {"web-v1": "750m", "web-v2": "250m"}
    assert response.json()["shares"]["web-v2"]["exact"] == "1/4"
    assert {r.path.split("/")[3] for r in world.real_writes()} == {"v1alpha1"}


@pytest.mark.parametrize(("layout", "version"), [("osm", "v1alpha2"), ("traefik-mesh", "v1alpha3")])
def test_integer_versions_get_integer_weights(world_factory, operator, layout, version):
    world = world_factory(layout=layout)
    api_version = f"split.smi-spec.io/{version}"
    base = resource_version(live_split(world, api_version=api_version))
    response = token_client(operator).post(split_url(world, "weights/"), {
        "base_resource_version": base, "weights": {"bookstore-v2": 80, "bookstore-v1": 20}}, format="json")
    assert response.status_code == 200, response.json()
    assert weights_of(live_split(world, api_version=api_version)) == {"bookstore-v1": 20, "bookstore-v2": 80}
    assert {r.path.split("/")[3] for r in world.real_writes()} == {version}


def test_v1alpha2_weights_must_be_integers(world_factory, operator):
    world = world_factory(layout="osm")
    base = resource_version(live_split(world, api_version="split.smi-spec.io/v1alpha2"))
    response = token_client(operator).post(split_url(world, "weights/"), {
        "base_resource_version": base, "weights": {"bookstore-v2": "500m"}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "weights.bookstore-v2"
    assert world.writes() == []


UNKNOWN_FIELDS_SPLIT = {
    "apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
    "metadata": {"name": "checkout", "namespace": "default", "labels": {"team": "payments"},
                 "annotations": {"example.com/ticket": "OPS-12", "example.com/note": "keep me"}},
    "spec": {"service": "checkout", "backends": [{"service": "checkout-v1", "weight": 90, "x-zone": "eu"},
                                                 {"service": "checkout-v2", "weight": 10}],
             "x-future": {"mirror": True}},
    "x-top-level": [1, 2, 3],
}


def test_unknown_fields_labels_and_annotations_survive_a_weight_edit(world_factory, operator):
    world = world_factory(objects=[UNKNOWN_FIELDS_SPLIT], schemas=None)  # CRDs that keep unknown fields
    before = live_split(world, "checkout", "default")
    assert before["spec"]["x-future"] == {"mirror": True}
    response = token_client(operator).post(split_url(world, "weights/", "default", "checkout"), {
        "base_resource_version": resource_version(before), "weights": {"checkout-v2": 30, "checkout-v1": 70}},
        format="json")
    assert response.status_code == 200, response.json()
    after = live_split(world, "checkout", "default")
    assert after["spec"]["backends"] == [{"service": "checkout-v1", "weight": 70, "x-zone": "eu"},
                                         {"service": "checkout-v2", "weight": 30}]
    assert after["spec"]["x-future"] == {"mirror": True}
    assert after["x-top-level"] == [1, 2, 3]
    assert after["metadata"]["labels"] == {"team": "payments"}
    assert after["metadata"]["annotations"] == UNKNOWN_FIELDS_SPLIT["metadata"]["annotations"]
    assert after["metadata"]["uid"] == before["metadata"]["uid"]


def test_stale_resource_version_gets_409_with_the_current_object_and_no_write(world, operator):
    base = resource_version(live_split(world))
    moved = world.handle.cluster.apply({**live_split(world), "spec": {
        "service": "bookstore", "backends": [{"service": "bookstore-v1", "weight": 50},
                                             {"service": "bookstore-v2", "weight": 50}]}})[0]
    world.handle.cluster.clear_requests()
    response = token_client(operator).post(split_url(world, "weights/"), {
        "base_resource_version": base, "weights": {"bookstore-v2": 100}}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["errors"][0]["code"] == "conflict"
    assert body["current"]["metadata"]["resourceVersion"] == resource_version(moved)
    assert weights_of(body["current"]) == {"bookstore-v1": 50, "bookstore-v2": 50}
    assert world.writes() == []
    assert AuditEntry.objects.get(pk=body["audit_id"]).outcome == "conflict"


def test_invalid_weights_get_400_naming_every_field_and_nothing_is_sent(world, operator):
    base = resource_version(live_split(world))
    response = token_client(operator).post(split_url(world, "weights/"), {
        "base_resource_version": base, "weights": {"bookstore-v1": -5, "bookstore-v2": 2.5, "nope": 1}},
        format="json")
    assert response.status_code == 400
    paths = {(e["path"], e["code"]) for e in response.json()["errors"]}
    assert paths == {("weights.bookstore-v1", "weight-negative"), ("weights.bookstore-v2", "not-integer"),
                     ("weights.nope", "unknown-backend")}
    assert world.writes() == []
    assert resource_version(live_split(world)) == base


def test_all_zero_weights_are_refused_before_the_cluster_sees_them(world, operator):
    base = resource_version(live_split(world))
    response = token_client(operator).post(split_url(world, "weights/"), {
        "base_resource_version": base, "weights": {"bookstore-v1": 0, "bookstore-v2": 0}}, format="json")
    assert response.status_code == 400
    assert "zero" in response.json()["errors"][0]["message"]
    assert world.writes() == []


def test_preview_shows_the_diff_and_dry_run_verdict_and_writes_nothing(world, operator):
    base = resource_version(live_split(world))
    response = token_client(operator).post(split_url(world, "weights/"), {
        "base_resource_version": base, "weights": {"bookstore-v2": 50, "bookstore-v1": 50}, "preview": True},
        format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["dry_run"] is True
    assert body["verdict"]["accepted"] is True
    assert "-    weight: 80" in body["diff"] and "+    weight: 50" in body["diff"]
    assert "weight: 80" in body["before_yaml"] and "weight: 80" not in body["after_yaml"]
    assert body["shares"]["bookstore-v2"]["percent"] == 50.0
    assert resource_version(live_split(world)) == base
    assert weights_of(live_split(world)) == {"bookstore-v1": 80, "bookstore-v2": 20}
    assert world.writes() and all(r.query.get("dryRun") == "All" for r in world.writes())
    entry = AuditEntry.objects.get(pk=body["audit_id"])
    assert (entry.dry_run, entry.outcome) == (True, "succeeded")


def test_add_and_remove_backend_show_shares(world):
    editor = make_user("pat", Role.POLICY_EDITOR)
    client = token_client(editor)
    base = resource_version(live_split(world))
    added = client.post(split_url(world, "backends/"), {"base_resource_version": base, "service": "bookstore-v3",
                                                       "weight": 100}, format="json")
    assert added.status_code == 200, added.json()
    assert added.json()["shares"]["bookstore-v3"]["percent"] == 50.0
    removed = client.post(split_url(world, "backends/remove/"), {
        "base_resource_version": added.json()["resource_version"], "service": "bookstore-v1"}, format="json")
    assert removed.status_code == 200, removed.json()
    assert weights_of(live_split(world)) == {"bookstore-v2": 20, "bookstore-v3": 100}
    assert set(removed.json()["shares"]) == {"bookstore-v2", "bookstore-v3"}


def test_operator_may_set_weights_but_not_add_backends(world, operator):
    base = resource_version(live_split(world))
    response = token_client(operator).post(split_url(world, "backends/"), {
        "base_resource_version": base, "service": "bookstore-v3", "weight": 1}, format="json")
    assert response.status_code == 403
    assert world.writes() == []
