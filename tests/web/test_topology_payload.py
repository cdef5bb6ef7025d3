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
    assert payload["metrics"] is None  # live traffic comes later, never invented


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
