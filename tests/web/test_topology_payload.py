"""The topology payload: Services grouped by namespace, split fan-outs with shares, policy edges by identity."""

from __future__ import annotations

from smi_ui.policy.inputs import Row
from smi_ui.web.topology import topology_payload


def service(name, app, namespace="shop"):
    return Row("Service", namespace, name, {"selector": {"app": app}})


def deployment(name, app, account, namespace="shop"):
    return Row("Deployment", namespace, name, {"pod_labels": {"app": app}, "service_account": account})


def world(*extra):
    return [
        service("web", "web"), service("api", "api"), service("api-v2", "api-v2"),
        deployment("web", "web", "web"), deployment("api", "api", "api"), deployment("api-v2", "api-v2", "api"),
        Row("TrafficSplit", "shop", "api-canary", {"service": "api", "backends": [
            {"service": "api", "weight": 3}, {"service": "api-v2", "weight": 1}],
            "shares": {"api": {"percent": 75.0}, "api-v2": {"percent": 25.0}}}),
        Row("ServiceAccount", "shop", "web", {}), Row("ServiceAccount", "shop", "api", {}),
        Row("TCPRoute", "shop", "all", {"ports": []}),
        Row("TrafficTarget", "shop", "web-to-api", {
            "destination": {"name": "api", "namespace": "shop"}, "rules": [{"kind": "TCPRoute", "name": "all"}],
            "sources": [{"name": "web", "namespace": "shop"}]}),
        *extra,
    ]


def edges_of(payload, kind):
    return {(e["source"], e["target"]): e for e in payload["edges"] if e["type"] == kind}


def test_services_are_nodes_inside_their_namespace():
    payload = topology_payload(world())
    services = [n for n in payload["nodes"] if n["type"] == "service"]
    assert {n["id"] for n in services} == {"svc:shop/web", "svc:shop/api", "svc:shop/api-v2"}
    assert {n["parent"] for n in services} == {"ns:shop"}
    assert "metrics" not in payload  # live traffic reaches the page over websockets, never invented here
    assert payload["live"] == {"namespaces": ["shop"], "omitted": []} and not payload["aggregated"]


def test_split_roots_fan_out_to_backends_with_their_share():
    splits = edges_of(topology_payload(world()), "split")
    assert splits[("svc:shop/api", "svc:shop/api-v2")]["label"] == "25 %"
    assert splits[("svc:shop/api", "svc:shop/api")]["share"] == 75.0


def test_allowed_edges_join_every_service_running_as_the_identities():
    allowed = edges_of(topology_payload(world()), "allowed")
    assert set(allowed) == {("svc:shop/web", "svc:shop/api"), ("svc:shop/web", "svc:shop/api-v2")}


def test_a_target_whose_route_is_missing_draws_a_broken_edge():
    broken_target = Row("TrafficTarget", "shop", "api-to-web", {
        "destination": {"name": "web", "namespace": "shop"}, "rules": [{"kind": "HTTPRouteGroup", "name": "gone"}],
        "sources": [{"name": "api", "namespace": "shop"}]})
    broken = edges_of(topology_payload(world(broken_target)), "broken")
    assert ("svc:shop/api", "svc:shop/web") in broken


def test_a_namespace_filter_keeps_only_what_touches_it():
    other = service("db", "db", namespace="data")
    payload = topology_payload(world(other), namespace="data")
    assert [n["id"] for n in payload["nodes"] if n["type"] == "service"] == ["svc:data/db"]
    assert payload["edges"] == []


# ---- where live traffic lands, and what policy allows -------------------------------------------

def test_workloads_map_to_the_service_named_like_them_with_their_identity():
    split_root_too = service("api-all", "api")  # also selects the api Deployment, but is not named like it
    payload = topology_payload(world(split_root_too))
    assert payload["workloads"] == {"shop/api": ["svc:shop/api", "shop/api"],
                                    "shop/api-v2": ["svc:shop/api-v2", "shop/api"],
                                    "shop/web": ["svc:shop/web", "shop/web"]}


def test_a_deployment_no_service_selects_gets_a_node_of_its_own():
    payload = topology_payload(world(deployment("cron", "cron", "web")))
    (node,) = [n for n in payload["nodes"] if n["type"] == "workload"]
    assert (node["id"], node["kind"], node["parent"]) == ("wl:shop/cron", "Deployment", "ns:shop")
    assert payload["workloads"]["shop/cron"] == ["wl:shop/cron", "shop/web"]


def test_only_effective_rules_count_as_allowing_pairs_and_the_mode_is_passed_on():
    broken_target = Row("TrafficTarget", "shop", "api-to-web", {
        "destination": {"name": "web", "namespace": "shop"}, "rules": [{"kind": "HTTPRouteGroup", "name": "gone"}],
        "sources": [{"name": "api", "namespace": "shop"}]})
    payload = topology_payload(world(broken_target), access_control=False)
    assert payload["allowedPairs"] == ["shop/web->shop/api"]
    assert payload["accessControl"] is False


# ---- aggregation -------------------------------------------------------------------------------------

def team(ns: str, size: int, calls: str | None = None) -> list[Row]:
    """`size` Services in `ns`, each with a Deployment and ServiceAccount; svc-0 may be called from `calls`."""
    rows = [Row("TCPRoute", ns, "all", {"ports": []})]
    for i in range(size):
        rows += [service(f"svc-{i}", f"a{i}", ns), deployment(f"svc-{i}", f"a{i}", f"sa-{i}", ns),
                 Row("ServiceAccount", ns, f"sa-{i}", {})]
    rows.append(Row("TrafficSplit", ns, "canary", {"service": "svc-0", "backends": [
        {"service": "svc-0", "weight": 9}, {"service": "svc-1", "weight": 1}],
        "shares": {"svc-0": {"percent": 90.0}, "svc-1": {"percent": 10.0}}}))
    sources = [{"name": f"sa-{i}", "namespace": ns} for i in range(1, size)]
    if calls:
        sources += [{"name": f"sa-{i}", "namespace": calls} for i in range(size)]
    rows.append(Row("TrafficTarget", ns, "to-svc-0", {"destination": {"name": "sa-0", "namespace": ns},
                                                      "rules": [{"kind": "TCPRoute", "name": "all"}],
                                                      "sources": sources}))
    return rows


def big() -> list[Row]:
    return team("alpha", 6) + team("beta", 5, calls="alpha") + team("gamma", 4)


def test_small_views_are_drawn_service_by_service():
    payload = topology_payload(big(), collapse_above=100)
    assert not payload["aggregated"] and payload["totals"] == {"services": 15, "edges": (2 + 5) + (2 + 4 + 5) + (2 + 3)}
    assert len([n for n in payload["nodes"] if n["type"] == "service"]) == 15


def test_above_the_threshold_namespaces_collapse_into_summary_nodes_with_counts():
    payload = topology_payload(big(), collapse_above=10)
    assert payload["aggregated"]
    assert [n["type"] for n in payload["nodes"]] == ["namespace"] * 3
    alpha, beta, gamma = payload["nodes"]
    assert (alpha["id"], alpha["collapsed"], alpha["services"], alpha["splits"]) == ("ns:alpha", True, 6, 1)
    assert alpha["label"] == "alpha · 6 services" and "parent" not in alpha
    # split and allowed edges inside a namespace are counted on its summary node, not drawn
    assert (alpha["internal"], beta["internal"], gamma["internal"]) == (2 + 5, 2 + 4, 2 + 3)
    # the 5 alpha -> beta policy edges become one edge with a count
    assert payload["edges"] == [{"id": "agg:allowed:ns:alpha->ns:beta", "source": "ns:alpha", "target": "ns:beta",
                                 "type": "allowed", "aggregate": True, "count": 5, "label": "×5"}]
    # no namespace is drawn service by service, so none is watched live and nothing maps traffic
    assert payload["live"]["namespaces"] == [] and payload["workloads"] == {} and payload["allowedPairs"] == []


def test_an_expanded_namespace_shows_its_services_and_edges_to_summaries_stay_merged():
    payload = topology_payload(big(), expand=["beta"], collapse_above=10)
    services = {n["id"] for n in payload["nodes"] if n["type"] == "service"}
    assert services == {f"svc:beta/svc-{i}" for i in range(5)}
    beta = next(n for n in payload["nodes"] if n["id"] == "ns:beta")
    assert beta["collapsed"] is False and beta["label"] == "beta"
    aggregated = {e["id"]: e["count"] for e in payload["edges"] if e.get("aggregate")}
    assert aggregated == {"agg:allowed:ns:alpha->svc:beta/svc-0": 5}
    assert {e["type"] for e in payload["edges"] if not e.get("aggregate")} == {"split", "allowed"}
    assert payload["live"]["namespaces"] == ["beta"]
    assert payload["workloads"]["alpha/svc-2"] == ["ns:alpha", "alpha/sa-2"]
    assert "alpha/sa-2->beta/sa-0" in payload["allowedPairs"]  # pairs touching the live namespace only
    assert not any(p.startswith("gamma/") for p in payload["allowedPairs"])


def test_a_namespace_filter_is_never_collapsed_but_its_peers_are():
    payload = topology_payload(big(), namespace="beta", collapse_above=3)
    assert {n["id"] for n in payload["nodes"] if n.get("collapsed")} == {"ns:alpha"}
    assert payload["live"]["namespaces"] == ["beta"]


def test_live_subscriptions_are_capped():
    rows = [row for i in range(10) for row in team(f"ns-{i}", 2)]
    payload = topology_payload(rows)
    assert len(payload["live"]["namespaces"]) == 8 and payload["live"]["omitted"] == ["ns-8", "ns-9"]


def test_payload_of_two_thousand_services_is_small_when_aggregated():
    import json

    rows = [row for i in range(20) for row in team(f"team-{i:02d}", 100, calls=f"team-{(i + 1) % 20:02d}")]
    payload = topology_payload(rows)
    assert payload["totals"] == {"services": 2000, "edges": 20 * (2 + 99 + 100)}
    assert len(payload["nodes"]) == 20 and len(payload["edges"]) == 20
    assert len(json.dumps(payload)) < 200_000
