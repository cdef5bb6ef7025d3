"""Findings: each mistake an auditor must see is reported once, with severity and a fix hint."""

from __future__ import annotations

from smi_ui.policy.findings import Severity, policy_findings
from smi_ui.policy.inputs import PolicyInput, Row
from tests.policy.test_access_graph import account, deployment, routes, shop, target


def codes(policy):
    return [(f.code, f.target) for f in policy_findings(policy)]


def test_a_clean_policy_has_no_findings():
    assert policy_findings(shop()) == []


def test_a_missing_route_group_is_an_error_with_a_hint():
    (finding,) = policy_findings(shop(target("web-to-db", "db", ["web"], [("HTTPRouteGroup", "db-routes", None)])))
    assert (finding.code, finding.severity, finding.target) == ("missing-route", Severity.ERROR, "web-to-db")
    assert "db-routes" in finding.message and "create HTTPRouteGroup db-routes" in finding.hint


def test_a_missing_match_entry_is_reported():
    findings = codes(shop(target("t", "api", ["db"], [("HTTPRouteGroup", "api-routes", ["read", "delete"])])))
    assert findings == [("missing-match", "t")]


def test_every_method_on_every_path_is_too_broad():
    policy = shop(routes("open", ("all", ".*", ["*"], None), ("any", None, None, None),
                         ("narrow", ".*", ["GET"], None)),
                  target("t", "db", ["web"], [("HTTPRouteGroup", "open", None)]))
    assert codes(policy) == [("broad-rule", "t"), ("broad-rule", "t")]


def test_missing_service_accounts_are_reported_for_destination_and_sources():
    policy = shop(target("t", "ghost", ["phantom"], [("TCPRoute", "pg", None)]))
    found = {(f.code, f.severity) for f in policy_findings(policy)}
    assert found == {("missing-service-account", Severity.ERROR), ("missing-service-account", Severity.WARNING)}


def test_references_into_unknown_namespaces_are_not_judged():
    policy = shop(target("t", "api", ["elsewhere/someone"], [("TCPRoute", "pg", None)]))
    assert codes(policy) == []


def test_a_destination_no_workload_runs_as_is_a_warning():
    policy = PolicyInput([account("idle"), account("web"), deployment("web", "web"),
                          Row("TCPRoute", "shop", "pg", {"ports": []}),
                          target("t", "idle", ["web"], [("TCPRoute", "pg", None)])])
    assert codes(policy) == [("no-workload", "t")]


def test_findings_are_sorted_most_serious_first():
    policy = shop(routes("open", ("all", ".*", ["*"], None)),
                  target("a", "db", ["web"], [("HTTPRouteGroup", "open", None)]),
                  target("b", "db", ["web"], [("HTTPRouteGroup", "gone", None)]))
    assert [f.severity for f in policy_findings(policy)] == [Severity.ERROR, Severity.WARNING]
