"""Edits across a CRD version switch: nothing the object holds is lost unless the user says so.

The cluster (like a real kube-apiserver) serves an object pruned to the served version's
schema and stores what a write sends. With TrafficSplit switched from v1alpha4 to v1alpha2
only, `catalog-ab-test`'s `spec.matches` is invisible in v1alpha2 yet still stored; a weight
edit written back in v1alpha2 would delete it. The dashboard knows it from the object as
it synced it before the switch.
"""

from __future__ import annotations

from typing import Any

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.audit.models import AuditEntry
from smi_ui.changes import pipeline
from smi_ui.changes.actors import Actor
from smi_ui.changes.errors import ClusterUnavailable, ObjectNotFound
from smi_ui.changes.services import set_split_weights, update_object
from smi_ui.changes.versions import FieldsWouldBeLost
from smi_ui.smi.kinds import kind_info
from tests.edit_support import make_user, resource_version, token_client
from tests.sandbox.crd_versions import split_crd

SPLIT = kind_info("TrafficSplit")
MATCHES = [{"kind": "HTTPRouteGroup", "name": "firefox-users"}]
NEW_WEIGHTS = {"catalog": 70, "catalog-beta": 30}


def stored_in_cluster(world) -> dict[str, Any]:
    """The object as the cluster stores it (every field, whatever version is served)."""
    cluster = world.handle.cluster
    return cluster._call(lambda: cluster.state.store.get(("split.smi-spec.io", "trafficsplits"), "storefront",
                                                          "catalog-ab-test"))


def switched(world_factory, *, resync: bool = True):
    """The demo, synced in v1alpha4; then TrafficSplit is served as v1alpha2 only (and, by default, re-synced)."""
    world = world_factory()
    world.handle.cluster.apply(split_crd("v1alpha2"))
    if resync:
        world.reimport()
    return world


def base(world) -> str:
    return resource_version(world.live(SPLIT.api_version("v1alpha2"), "TrafficSplit", "catalog-ab-test",
                                       "storefront"))


def operator() -> Actor:
    return Actor.for_user(make_user("olivia", Role.OPERATOR))


@pytest.mark.django_db
def test_a_weight_edit_that_would_lose_matches_is_refused_naming_them(world_factory):
    world = switched(world_factory)
    assert "matches" not in world.live(SPLIT.api_version("v1alpha2"), "TrafficSplit", "catalog-ab-test",
                                       "storefront")["spec"]
    with pytest.raises(FieldsWouldBeLost) as refused:
        set_split_weights(operator(), world.cluster, "storefront", "catalog-ab-test", NEW_WEIGHTS,
                          base_resource_version=base(world))
    assert refused.value.status == 409
    (error,) = refused.value.errors
    assert (error["path"], error["code"]) == ("spec.matches", "would-lose-field")
    assert "v1alpha2 cannot hold spec.matches (only v1alpha3, v1alpha4 can)" in error["message"]
    assert world.real_writes() == [] and world.writes() == []
    assert stored_in_cluster(world)["spec"]["matches"] == MATCHES
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.errors[0]["path"]) == ("rejected", "spec.matches")
    assert entry.before["spec"]["matches"] == MATCHES  # what the refused write would have deleted
    world.handle.cluster.apply(split_crd("v1alpha4"))  # switching back: nothing was lost
    assert world.live(SPLIT.api_version("v1alpha4"), "TrafficSplit", "catalog-ab-test",
                      "storefront")["spec"]["matches"] == MATCHES


@pytest.mark.django_db
def test_the_preview_names_the_fields_and_shows_them_removed_in_the_diff(world_factory):
    world = switched(world_factory)
    preview = set_split_weights(operator(), world.cluster, "storefront", "catalog-ab-test", NEW_WEIGHTS,
                                base_resource_version=base(world), preview=True)
    assert [field["path"] for field in preview.lost_fields] == ["spec.matches"]
    assert preview.verdict.accepted
    removed = [line for line in preview.diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert any("matches:" in line for line in removed) and any("firefox-users" in line for line in removed)
    assert any(line.startswith("+") and "70" in line for line in preview.diff.splitlines())
    assert world.real_writes() == []
    assert "would drop spec.matches" in AuditEntry.objects.get().summary


@pytest.mark.django_db
def test_matches_are_dropped_only_when_the_user_asks(world_factory):
    world = switched(world_factory)
    result = set_split_weights(operator(), world.cluster, "storefront", "catalog-ab-test", NEW_WEIGHTS,
                               base_resource_version=base(world), drop_fields=["spec.matches"])
    assert [field["path"] for field in result.lost_fields] == ["spec.matches"]
    stored = stored_in_cluster(world)
    assert "matches" not in stored["spec"] and [b["weight"] for b in stored["spec"]["backends"]] == [70, 30]
    entry = AuditEntry.objects.get()
    assert entry.outcome == "succeeded" and "drops spec.matches" in entry.summary
    assert entry.before["spec"]["matches"] == MATCHES  # the audit keeps what was dropped


@pytest.mark.django_db
def test_an_edit_in_a_version_that_holds_the_field_loses_nothing(world_factory):
    world = world_factory()
    world.handle.cluster.apply(split_crd("v1alpha4", "v1alpha2"))
    world.reimport()
    current = world.live(SPLIT.api_version("v1alpha4"), "TrafficSplit", "catalog-ab-test", "storefront")
    result = set_split_weights(operator(), world.cluster, "storefront", "catalog-ab-test", NEW_WEIGHTS,
                               base_resource_version=resource_version(current))
    assert result.api_version == SPLIT.api_version("v1alpha4") and result.lost_fields == []
    assert stored_in_cluster(world)["spec"]["matches"] == MATCHES


@pytest.mark.django_db
def test_a_manifest_in_the_version_lacking_the_field_is_refused_while_another_served_version_shows_it(
        world_factory):
    """Both versions served: the live v1alpha4 view tells what a v1alpha2 write would lose."""
    world = world_factory()
    world.handle.cluster.apply(split_crd("v1alpha4", "v1alpha2"))
    world.reimport()
    current = world.live(SPLIT.api_version("v1alpha2"), "TrafficSplit", "catalog-ab-test", "storefront")
    manifest = {"apiVersion": SPLIT.api_version("v1alpha2"), "kind": "TrafficSplit",
                "metadata": {"name": "catalog-ab-test", "namespace": "storefront"}, "spec": current["spec"]}
    with pytest.raises(FieldsWouldBeLost) as refused:
        update_object(Actor.for_user(make_user("pat", Role.POLICY_EDITOR)), world.cluster, "TrafficSplit",
                      "storefront", "catalog-ab-test", manifest,
                      base_resource_version=resource_version(current))
    assert [e["path"] for e in refused.value.errors] == ["spec.matches"]
    assert stored_in_cluster(world)["spec"]["matches"] == MATCHES


@pytest.mark.django_db
def test_an_edit_right_after_a_switch_rereads_discovery_instead_of_answering_404(world_factory):
    """The cluster row still says v1alpha4 (sync has not re-discovered yet); the read in v1alpha4 is a 404."""
    world = switched(world_factory, resync=False)
    assert world.cluster.served_kinds["TrafficSplit"]["versions"] == ["v1alpha4"]
    preview = set_split_weights(operator(), world.cluster, "storefront", "catalog-ab-test", NEW_WEIGHTS,
                                base_resource_version=base(world), preview=True)
    assert preview.api_version == SPLIT.api_version("v1alpha2")
    assert [field["path"] for field in preview.lost_fields] == ["spec.matches"]
    world.cluster.refresh_from_db()
    assert world.cluster.served_kinds["TrafficSplit"]["versions"] == ["v1alpha2"]


@pytest.mark.django_db
def test_a_404_in_the_version_just_switched_to_says_the_switch_is_under_way(world_factory, monkeypatch):
    """A real API server answers 404 for a moment (~1.4 s) in a version it has just started serving."""
    world = switched(world_factory, resync=False)
    real_get = pipeline._get

    def not_set_up_yet(writer, target, version):
        if version == "v1alpha2":
            raise ObjectNotFound([{"path": "", "message": "404 page not found", "code": "not-found"}])
        return real_get(writer, target, version)

    monkeypatch.setattr(pipeline, "_get", not_set_up_yet)
    with pytest.raises(ClusterUnavailable) as unavailable:
        set_split_weights(operator(), world.cluster, "storefront", "catalog-ab-test", NEW_WEIGHTS,
                          base_resource_version=base(world))
    (error,) = unavailable.value.errors
    assert error["code"] == "version-switching" and "just switched TrafficSplit to v1alpha2" in error["message"]
    assert world.writes() == []


@pytest.mark.django_db
def test_a_missing_object_is_still_a_404_after_discovery_was_read_again(world_factory):
    world = world_factory()
    with pytest.raises(ObjectNotFound):
        set_split_weights(operator(), world.cluster, "storefront", "no-such-split", NEW_WEIGHTS,
                          base_resource_version="1")


@pytest.mark.django_db
def test_the_api_refuses_with_409_and_writes_when_drop_fields_names_them(world_factory):
    world = switched(world_factory)
    client = token_client(make_user("olivia", Role.OPERATOR))
    url = f"/api/objects/{world.cluster.name}/storefront/trafficsplits/catalog-ab-test/weights/"
    refused = client.post(url, {"base_resource_version": base(world), "weights": NEW_WEIGHTS}, format="json")
    assert refused.status_code == 409
    assert [(e["path"], e["code"]) for e in refused.json()["errors"]] == [("spec.matches", "would-lose-field")]
    preview = client.post(url, {"base_resource_version": base(world), "weights": NEW_WEIGHTS, "preview": True},
                          format="json").json()
    assert [f["path"] for f in preview["lost_fields"]] == ["spec.matches"] and "firefox-users" in preview["diff"]
    bad = client.post(url, {"base_resource_version": base(world), "weights": NEW_WEIGHTS,
                            "drop_fields": ["x" * 301]}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"].startswith("drop_fields")
    written = client.post(url, {"base_resource_version": base(world), "weights": NEW_WEIGHTS,
                                "drop_fields": ["spec.matches"]}, format="json")
    assert written.status_code == 200 and [f["path"] for f in written.json()["lost_fields"]] == ["spec.matches"]
    assert "matches" not in stored_in_cluster(world)["spec"]
    assert list(AuditEntry.objects.order_by("sequence").values_list("outcome", flat=True)) == [
        "rejected", "succeeded", "rejected", "succeeded"]
