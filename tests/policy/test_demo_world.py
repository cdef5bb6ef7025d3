"""The demo world through the inventory: its planted mistake is found, its working rules are not flagged."""

from __future__ import annotations

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.policy.findings import policy_findings
from smi_ui.policy.graph import access_graph
from smi_ui.policy.inputs import Identity
from smi_ui.policy.selectors import policy_input
from tests.edit_support import make_user

pytestmark = pytest.mark.django_db


def test_the_planted_missing_route_group_is_the_only_error(world):
    auditor = make_user("audrey", Role.AUDITOR)
    findings = policy_findings(policy_input(auditor, world.cluster))
    errors = [(f.code, f.namespace, f.target) for f in findings if f.severity.label == "error"]
    assert errors == [("missing-route", "storefront", "frontend-to-checkout")]
    assert "checkout-routes" in findings[0].message


def test_cross_namespace_source_reaches_payments(world):
    graph = access_graph(policy_input(make_user("vic", Role.VIEWER), world.cluster))
    assert Identity("bookstore", "bookstore") in graph.who_can_reach(Identity("storefront", "payments"))


def test_a_namespace_limited_reader_sees_only_their_namespace(world):
    reader = make_user("nina", Role.VIEWER, cluster=world.cluster, namespace="storefront")
    policy = policy_input(reader, world.cluster)
    assert {row.namespace for row in policy.rows} == {"storefront"}
    # bookstore is not visible to her: its ServiceAccount is not reported missing
    assert not [f for f in policy_findings(policy) if f.code == "missing-service-account"]
