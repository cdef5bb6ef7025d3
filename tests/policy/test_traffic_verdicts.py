"""Policy verdicts on live figures: denied edges marked, and success over what the mesh lets through."""

from __future__ import annotations

import pytest

from smi_ui.metrics.history import MemoryHistory
from smi_ui.metrics.poller import NamespacePoller
from smi_ui.metrics.selection import provider_for
from smi_ui.policy.inputs import Identity
from smi_ui.policy.traffic import TrafficPolicy, judge_namespace_figures, mark_verdicts
from tests.metrics.conftest import traffic_world  # noqa: F401 - fixture

BUYER, THIEF, STORE = Identity("shop", "buyer"), Identity("shop", "thief"), Identity("shop", "store")
POLICY = TrafficPolicy(True, frozenset({(BUYER, STORE)}),
                       {("shop", "buyer"): BUYER, ("shop", "thief"): THIEF, ("shop", "store-v2"): STORE})


def document(**edges):
    return {"namespace": "shop", "available": True,
            "resources": {"store-v2": {"rps": 10.0, "success_rate": 0.5, "p99_ms": 300.0}},
            "edges": {f"shop/{source}->shop/store-v2": figures for source, figures in edges.items()}}


def test_denied_requests_are_left_out_of_the_destinations_success_rate():
    marked = mark_verdicts(document(buyer={"rps": 5.0, "success_rate": 1.0}, thief={"rps": 5.0, "success_rate": 0.0}),
                           POLICY)
    assert marked["edges"]["shop/thief->shop/store-v2"]["denied"] is True
    assert marked["edges"]["shop/buyer->shop/store-v2"]["denied"] is False
    store = marked["resources"]["store-v2"]
    assert store["denied_rps"] == 5.0 and store["allowed_success_rate"] == 1.0
    assert store["success_rate"] == 0.5  # the raw figure stays, for whoever wants all requests


def test_callers_the_inventory_does_not_know_are_not_judged():
    marked = mark_verdicts(document(stranger={"rps": 5.0, "success_rate": 0.0}), POLICY)
    assert marked["edges"]["shop/stranger->shop/store-v2"]["denied"] is None
    assert marked["resources"]["store-v2"]["denied_rps"] == 0 and \
        marked["resources"]["store-v2"]["allowed_success_rate"] == 0.5


def test_nothing_is_denied_where_the_mesh_does_not_enforce_access_control():
    permissive = TrafficPolicy(False, POLICY.allowed, POLICY.identities)
    marked = mark_verdicts(document(thief={"rps": 5.0, "success_rate": 0.0}), permissive)
    assert marked["edges"]["shop/thief->shop/store-v2"]["denied"] is False
    assert marked["resources"]["store-v2"]["allowed_success_rate"] == 0.5


def test_only_denied_traffic_leaves_no_allowed_success_rate():
    doc = document(thief={"rps": 10.0, "success_rate": 0.0})
    doc["resources"]["store-v2"]["success_rate"] = 0.0
    assert mark_verdicts(doc, POLICY)["resources"]["store-v2"]["allowed_success_rate"] is None


@pytest.mark.django_db(transaction=True)
def test_the_demo_canary_is_judged_by_its_real_callers(traffic_world):  # noqa: F811
    """bookthief's calls to bookstore are denied by policy: bookstore-v2's callers see 95 %, not the mixed figure."""
    poller = NamespacePoller(traffic_world.cluster.pk, "bookstore", provider_for, interval=1, window_seconds=30,
                             history=MemoryHistory(900), publisher=lambda message, groups: None,
                             judge=judge_namespace_figures)
    poller.start()
    try:
        assert poller.wait_for_refresh(0, timeout=10)
        latest = poller.latest
    finally:
        poller.stop()
    canary = latest["resources"]["bookstore-v2"]
    assert canary["denied_rps"] > 0 and canary["success_rate"] < 0.9
    assert canary["allowed_success_rate"] == pytest.approx(0.95, abs=0.002)
    assert latest["edges"]["bookstore/bookthief->bookstore/bookstore-v2"]["denied"] is True
    assert latest["edges"]["bookstore/bookbuyer->bookstore/bookstore-v2"]["denied"] is False
