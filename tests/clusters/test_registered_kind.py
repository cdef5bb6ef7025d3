"""A kind is one module and one registry entry: a toy kind in a toy group is synced, listed, shown and weighted.

Nothing but `tests/toy_kind.py` and the `REGISTRY.including(...)` below knows the toy kind.
"""

from __future__ import annotations

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.inventory.models import KubeObject
from smi_ui.sandbox.demo import demo_objects
from smi_ui.smi import parse, serialize, validate_manifest
from smi_ui.smi.kinds import REGISTRY
from tests import toy_kind
from tests.edit_support import make_user, token_client

pytestmark = pytest.mark.django_db

ROLLOUT = {
    "apiVersion": "rollouts.toys.example/v1", "kind": "Rollout",
    "metadata": {"name": "bookstore", "namespace": "bookstore", "labels": {"team": "books"}},
    "spec": {"service": "bookstore", "backends": [{"service": "bookstore-v1", "weight": 1},
                                                  {"service": "bookstore-v2", "weight": 2}]},
}


@pytest.fixture
def toy_registered():
    with REGISTRY.including(toy_kind.SPEC):
        yield toy_kind.SPEC


@pytest.fixture
def toy_world(toy_registered, world_factory):
    return world_factory(objects=[*demo_objects(), ROLLOUT])


def test_the_toy_kind_reads_writes_and_validates_through_the_codec(toy_registered):
    rollout = parse(ROLLOUT)
    assert rollout.INFO is toy_registered
    assert serialize(rollout) == ROLLOUT
    assert validate_manifest(ROLLOUT) == []
    assert [spec.kind for spec in REGISTRY.with_trait("weighted")] == ["TrafficSplit", "Rollout"]


def test_the_toy_kind_is_synced_from_the_sandbox_with_its_shares(toy_world):
    stored = KubeObject.objects.get(cluster=toy_world.cluster, kind="Rollout", name="bookstore")
    assert stored.api_version == "rollouts.toys.example/v1"
    assert stored.normalized["shares"]["bookstore-v2"] == {"exact": "2/3", "percent": 66.67}
    assert toy_world.cluster.served_kinds["Rollout"]["preferred"] == "v1"


def test_the_api_lists_and_shows_the_toy_kind(toy_world):
    client = token_client(make_user("vera", Role.VIEWER))
    listing = client.get("/api/objects/", {"kind": "rollouts"}).json()
    assert [row["name"] for row in listing["results"]] == ["bookstore"]
    detail = client.get(f"/api/objects/{toy_world.cluster.name}/bookstore/rollouts/bookstore/").json()
    assert detail["shares"]["bookstore-v1"]["exact"] == "1/3"


def test_the_weights_plan_works_for_the_toy_kind(toy_world):
    client = token_client(make_user("vera", Role.VIEWER))
    response = client.post(f"/api/objects/{toy_world.cluster.name}/bookstore/rollouts/bookstore/weights/plan/",
                           {"action": "even", "scale": 100}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["weights"] == {"bookstore-v1": 50, "bookstore-v2": 50}


def test_the_pages_list_and_show_the_toy_kind_with_its_weights_page(toy_world, client):
    client.force_login(make_user("vera", Role.VIEWER))
    cluster = toy_world.cluster.name
    listing = client.get(f"/clusters/{cluster}/objects/", {"namespace": "bookstore", "kind": "Rollout"})
    assert listing.status_code == 200
    assert f"/clusters/{cluster}/objects/bookstore/rollouts/bookstore/" in listing.content.decode()
    detail = client.get(f"/clusters/{cluster}/objects/bookstore/rollouts/bookstore/")
    assert detail.status_code == 200
    assert f"/clusters/{cluster}/objects/bookstore/rollouts/bookstore/weights/" in detail.content.decode()
    weights = client.get(f"/clusters/{cluster}/objects/bookstore/rollouts/bookstore/weights/")
    assert weights.status_code == 200
    assert "bookstore-v2" in weights.content.decode()


def test_the_toy_kind_is_edited_through_the_pipeline_with_audit(toy_world):
    from smi_ui.audit.models import AuditEntry

    editor = make_user("eddie", Role.POLICY_EDITOR)
    live = toy_world.live("rollouts.toys.example/v1", "Rollout", "bookstore", "bookstore")
    manifest = {**ROLLOUT, "spec": {**ROLLOUT["spec"], "backends": [{"service": "bookstore-v1", "weight": 1},
                                                                     {"service": "bookstore-v2", "weight": 3}]}}
    response = token_client(editor).put(
        f"/api/objects/{toy_world.cluster.name}/bookstore/rollouts/bookstore/",
        {"base_resource_version": live["metadata"]["resourceVersion"], "manifest": manifest}, format="json")
    assert response.status_code == 200, response.json()
    live = toy_world.live("rollouts.toys.example/v1", "Rollout", "bookstore", "bookstore")
    assert live["spec"]["backends"][1]["weight"] == 3
    assert live["metadata"]["labels"] == {"team": "books"}
    stored = KubeObject.objects.get(cluster=toy_world.cluster, kind="Rollout", name="bookstore")
    assert stored.normalized["shares"]["bookstore-v2"]["exact"] == "3/4"
    entry = AuditEntry.objects.get(action="update")
    assert (entry.kind, entry.outcome) == ("Rollout", "succeeded")


def test_an_operator_sets_the_toy_kinds_weights_through_the_weight_edit(toy_world):
    operator = make_user("olivia", Role.OPERATOR)
    live = toy_world.live("rollouts.toys.example/v1", "Rollout", "bookstore", "bookstore")
    response = token_client(operator).post(
        f"/api/objects/{toy_world.cluster.name}/bookstore/rollouts/bookstore/weights/",
        {"base_resource_version": live["metadata"]["resourceVersion"], "weights": {"bookstore-v2": 1}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["shares"]["bookstore-v2"]["percent"] == 50.0
    live = toy_world.live("rollouts.toys.example/v1", "Rollout", "bookstore", "bookstore")
    assert [b["weight"] for b in live["spec"]["backends"]] == [1, 1]
