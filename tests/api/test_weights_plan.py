"""The weights page's quick actions (spread evenly, promote, roll back) are computed exactly by the API."""

from __future__ import annotations

import pytest

from smi_ui.accounts.roles import Role
from tests.edit_support import make_user, token_client

pytestmark = pytest.mark.django_db

THIRDS_SPLIT = {
    "apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"service": "web", "backends": [{"service": "web-v1", "weight": 1}, {"service": "web-v2", "weight": 1},
                                            {"service": "web-v3", "weight": 1}]},
}


@pytest.fixture
def thirds(world_factory):
    return world_factory(objects=[THIRDS_SPLIT])


def plan_url(world, kind="trafficsplits", name="web"):
    return f"/api/objects/{world.cluster.name}/default/{kind}/{name}/weights/plan/"


def test_spreading_thirds_evenly_gives_whole_weights_that_add_up_to_the_scale(thirds):
    viewer = make_user("vera", Role.VIEWER)  # a plan writes nothing: seeing the split is enough
    response = token_client(viewer).post(plan_url(thirds), {
        "action": "even", "scale": 100, "weights": {"web-v1": "1/3", "web-v2": "1/3", "web-v3": "1/3"}}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["weights"] == {"web-v1": 33, "web-v2": 33, "web-v3": 34}
    assert body["shares"]["web-v3"] == {"exact": "17/50", "percent": 34.0}


def test_a_locked_third_is_kept_exactly_and_the_rest_never_exceeds_the_scale(thirds):
    response = token_client(make_user("vera", Role.VIEWER)).post(plan_url(thirds), {
        "action": "even", "scale": 100, "locked": ["web-v1"],
        "weights": {"web-v1": "1/3", "web-v2": 50, "web-v3": 50}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["weights"] == {"web-v1": "1/3", "web-v2": 49, "web-v3": 50}


def test_promote_and_roll_back_send_everything_to_the_canary_or_the_stable_backend(thirds):
    client = token_client(make_user("vera", Role.VIEWER))
    promoted = client.post(plan_url(thirds), {"action": "promote", "scale": 100}, format="json").json()
    assert promoted["weights"] == {"web-v1": 0, "web-v2": 0, "web-v3": 100}
    rolled_back = client.post(plan_url(thirds), {"action": "rollback", "scale": 1000}, format="json").json()
    assert rolled_back["weights"] == {"web-v1": 1000, "web-v2": 0, "web-v3": 0}
    assert rolled_back["shares"]["web-v1"] == {"exact": "1", "percent": 100.0}


def test_a_plan_names_unknown_backends_and_other_kinds_have_none(thirds):
    client = token_client(make_user("vera", Role.VIEWER))
    response = client.post(plan_url(thirds), {"action": "even", "scale": 100, "weights": {"web-v9": 1}}, format="json")
    assert response.status_code == 400
    assert "web-v9" in str(response.json())
    assert client.post(plan_url(thirds, "traffictargets"), {"action": "even", "scale": 100},
                       format="json").status_code == 404
