"""The access graph and matrix follow SMI rule semantics: entries, matches, OR-ing, missing routes."""

from __future__ import annotations

import csv
import io

from smi_ui.policy.exports import ACCESS_COLUMNS, access_csv, findings_csv
from smi_ui.policy.findings import policy_findings
from smi_ui.policy.graph import access_graph
from smi_ui.policy.inputs import Identity, PolicyInput, Row
from smi_ui.policy.matrix import access_matrix


def target(name, destination, sources, rules, namespace="shop"):
    return Row("TrafficTarget", namespace, name, {
        "destination": {"kind": "ServiceAccount", "name": destination, "namespace": namespace},
        "rules": [{"kind": kind, "name": rule, "matches": matches} for kind, rule, matches in rules],
        "sources": [{"kind": "ServiceAccount", "name": s.split("/")[-1],
                     "namespace": s.split("/")[0] if "/" in s else namespace} for s in sources],
    })


def routes(name, *entries, namespace="shop"):
    return Row("HTTPRouteGroup", namespace, name, {"matches": [
        {"name": entry, "path_regex": path, "methods": methods, "headers": headers}
        for entry, path, methods, headers in entries]})


def account(name, namespace="shop"):
    return Row("ServiceAccount", namespace, name, {})


def deployment(name, runs_as, namespace="shop"):
    return Row("Deployment", namespace, name, {"service_account": runs_as})


WEB, API, DB = Identity("shop", "web"), Identity("shop", "api"), Identity("shop", "db")


def shop(*extra):
    return PolicyInput([
        account("web"), account("api"), account("db"), deployment("web", "web"), deployment("api", "api"),
        deployment("db", "db"),
        routes("api-routes", ("read", "/items", ["GET"], None), ("write", "/items", ["POST"],
                                                                  [{"name": "x-team", "value": "ops"}])),
        Row("TCPRoute", "shop", "pg", {"ports": [5432]}),
        target("web-to-api", "api", ["web"], [("HTTPRouteGroup", "api-routes", None)]),
        target("api-to-db", "db", ["api"], [("TCPRoute", "pg", None)]),
        *extra,
    ])


def test_a_rule_without_matches_allows_every_entry_of_the_group():
    graph = access_graph(shop())
    described = [route.describe() for route in graph.routes(WEB, API)]
    assert described == ["GET /items", "POST /items if x-team~ops"]


def test_a_rule_with_matches_allows_only_the_named_entries():
    graph = access_graph(shop(target("db-to-api", "api", ["db"], [("HTTPRouteGroup", "api-routes", ["read"])])))
    assert [route.entry for route in graph.routes(DB, API)] == ["read"]


def test_tcp_rules_list_their_ports():
    (route,) = access_graph(shop()).routes(API, DB)
    assert route.ports == (5432,) and route.describe() == "TCP ports 5432"


def test_who_can_reach_and_what_a_source_can_reach():
    graph = access_graph(shop())
    assert list(graph.who_can_reach(API)) == [WEB]
    assert list(graph.reachable_from(API)) == [DB]
    assert graph.who_can_reach(WEB) == {}


def test_a_rule_naming_a_missing_route_group_reaches_nothing_but_stays_visible():
    graph = access_graph(shop(target("web-to-db", "db", ["web"], [("HTTPRouteGroup", "nope", None)])))
    (route,) = graph.routes(WEB, DB)
    assert route.missing and "missing" in route.describe()
    assert DB not in graph.reachable_from(WEB)


def test_sources_in_other_namespaces_are_their_own_identities():
    graph = access_graph(shop(target("ops-to-api", "api", ["ops/runner"], [("TCPRoute", "pg", None)])))
    assert Identity("ops", "runner") in graph.who_can_reach(API)


def test_matrix_groups_identities_by_namespace_and_fills_cells():
    graph = access_graph(shop(target("ops-to-api", "api", ["ops/runner"], [("TCPRoute", "pg", None)])))
    matrix = access_matrix(graph)
    assert [group.namespace for group in matrix.column_groups] == ["shop"]
    assert [ns for ns, _ in matrix.row_groups] == ["ops", "shop"]
    assert matrix.destinations == [API, DB]
    shop_rows = dict(matrix.row_groups)["shop"]
    web_row = next(row for row in shop_rows if row.source == WEB)
    assert [cell.total for cell in web_row.cells] == [2, 0]


def test_matrix_filtered_by_namespace_keeps_edges_touching_it():
    graph = access_graph(shop(target("x", "runner", ["web"], [("TCPRoute", "pg", None)], namespace="ops")))
    assert access_matrix(graph, "ops").destinations == [Identity("ops", "runner")]


def test_access_csv_has_one_line_per_route_and_neutralises_formulas():
    rows = list(csv.DictReader(io.StringIO(access_csv(access_graph(shop(
        routes("evil", ("=cmd", "/x", ["GET"], None)),
        target("w", "db", ["web"], [("HTTPRouteGroup", "evil", None)])))))))
    assert tuple(rows[0]) == ACCESS_COLUMNS
    assert len(rows) == 4
    assert {row["match"] for row in rows if row["traffic_target"] == "w"} == {"'=cmd"}


def test_findings_csv_parses_back():
    text = findings_csv(policy_findings(shop(target("bad", "api", ["web"], [("HTTPRouteGroup", "nope", None)]))))
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["severity"], row["code"], row["traffic_target"]) == ("error", "missing-route", "bad")
