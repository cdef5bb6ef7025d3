"""Findings: each mistake an auditor must see is reported once, with severity and a fix hint."""

from __future__ import annotations

import pytest

from smi_ui.metrics.pollers import pollers
from smi_ui.policy.findings import (
    ObjectRef,
    ObservedTraffic,
    Severity,
    observed_traffic,
    policy_findings,
    unallowed_traffic_findings,
)
from smi_ui.policy.inputs import PolicyInput, Row
from smi_ui.policy.selectors import access_control_on, cached_observed_traffic
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


# ---- traffic observed on edges no rule allows -------------------------------------------------

def seen(source, destination, rps=5.0, namespace="shop"):
    return ObservedTraffic(namespace, source, namespace, destination, rps)


def test_observed_traffic_without_an_allowing_rule_is_an_error_when_access_control_is_on():
    observed = [seen("web", "api"), seen("web", "db", rps=2.5), seen("api", "db")]
    (finding,) = policy_findings(shop(), observed)
    assert (finding.code, finding.severity, finding.namespace) == ("unallowed-traffic", Severity.ERROR, "shop")
    assert "shop/web → shop/db" in finding.message and "2.5 rps" in finding.message
    assert "destination db and source shop/web" in finding.hint


def test_permissive_mode_allows_everything_so_no_traffic_is_reported():
    assert policy_findings(shop(), [seen("web", "db")], access_control=False) == []
    assert unallowed_traffic_findings(shop(), [seen("web", "db")], access_control=False) == []


def test_a_rule_whose_route_is_missing_allows_nothing_so_its_traffic_is_reported():
    policy = shop(target("web-to-db", "db", ["web"], [("HTTPRouteGroup", "gone", None)]))
    assert [f.code for f in unallowed_traffic_findings(policy, [seen("web", "db")])] == ["unallowed-traffic"]


def test_idle_edges_and_unknown_workloads_are_not_judged():
    assert unallowed_traffic_findings(shop(), [seen("web", "db", rps=0.0), seen("ghost", "db")]) == []


def test_without_observed_edges_there_are_no_traffic_findings():
    assert all(f.code != "unallowed-traffic" for f in policy_findings(shop()))


def test_observed_edges_come_from_metrics_documents_counted_once_and_only_when_busy():
    figures = {"rps": 4.0, "success_rate": 0.0, "p50_ms": 1, "p90_ms": 2, "p99_ms": 3}
    documents = [
        {"namespace": "shop", "available": True, "edges": {"shop/web->shop/db": figures,
                                                           "shop/api->shop/db": {**figures, "rps": 0.0}}},
        {"namespace": "data", "available": True, "edges": {"shop/web->shop/db": figures}},
        {"namespace": "down", "available": False, "edges": {"down/a->down/b": figures}},
    ]
    assert observed_traffic(documents) == [seen("web", "db", rps=4.0)]


def test_cached_observed_traffic_reads_what_a_poller_last_cached(monkeypatch):
    class Cached:
        latest = {"namespace": "shop", "available": True, "edges": {"shop/web->shop/db": {"rps": 1.5}}}

    monkeypatch.setattr(pollers, "poller", lambda cluster_id, namespace: Cached if namespace == "shop" else None)
    observed = cached_observed_traffic(7, ["shop", "unwatched"])
    assert observed == [seen("web", "db", rps=1.5)]
    assert [f.code for f in policy_findings(shop(), observed)] == ["unallowed-traffic"]


@pytest.mark.parametrize(("configured", "cluster", "expected"), [
    (None, "any", True), (False, "any", False), ({"lab": False}, "lab", False), ({"lab": False}, "prod", True),
    ({"*": False, "prod": True}, "prod", True), ({"*": False}, "dev", False)])
def test_access_control_mode_comes_from_settings_and_defaults_to_deny(settings, configured, cluster, expected):
    if configured is None:
        settings.SMI_ACCESS_CONTROL = {}
    else:
        settings.SMI_ACCESS_CONTROL = configured
    assert access_control_on(cluster) is expected


def test_findings_concern_the_objects_a_reader_meets_them_on():
    (missing,) = policy_findings(shop(target("web-to-db", "db", ["web"], [("HTTPRouteGroup", "nope", None)])))
    assert missing.concerns == (ObjectRef("TrafficTarget", "shop", "web-to-db"),)
    front = Row("Service", "shop", "db", {"selector": {"app": "db"}})
    other = Row("Service", "shop", "cache", {"selector": {"app": "db", "tier": "cache"}})
    workloads = [Row("Deployment", "shop", name, {"service_account": name, "pod_labels": {"app": name}})
                 for name in ("web", "db")]
    (traffic,) = unallowed_traffic_findings(PolicyInput([*workloads, front, other]), [seen("web", "db")])
    assert traffic.target == ""
    # both workloads, and the Service whose selector picks the destination's pods (not one asking for more labels)
    assert traffic.concerns == (ObjectRef("Deployment", "shop", "web"), ObjectRef("Deployment", "shop", "db"),
                                ObjectRef("Service", "shop", "db"))
