"""The topology payload: Services as nodes (in namespace groups), TrafficSplit fan-outs and allowed edges.

Built from inventory rows only. Policy edges join ServiceAccounts to the Services whose
pods run as them (Service selector ⊆ Deployment pod labels). Live traffic (RPS, success
rate, p99 per edge) will be merged in by the metrics work through the `metrics` key;
until then it is None and the page says so.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from smi_ui.policy.graph import access_graph
from smi_ui.policy.inputs import Identity, PolicyInput, Row

TOPOLOGY_KINDS = ("Service", "Deployment", "TrafficSplit", "TrafficTarget", "HTTPRouteGroup", "TCPRoute",
                  "UDPRoute", "ServiceAccount")


def service_identities(rows: list[Row]) -> dict[tuple[str, str], set[Identity]]:
    """(namespace, Service) -> the ServiceAccounts of the workloads it selects."""
    workloads = [row for row in rows if row.kind == "Deployment"]
    found: dict[tuple[str, str], set[Identity]] = defaultdict(set)
    for service in (row for row in rows if row.kind == "Service"):
        selector = service.normalized.get("selector") or {}
        if not selector:
            continue
        for workload in workloads:
            labels = workload.normalized.get("pod_labels") or {}
            if workload.namespace == service.namespace and all(labels.get(k) == v for k, v in selector.items()):
                found[(service.namespace, service.name)].add(
                    Identity(workload.namespace, str(workload.normalized.get("service_account") or "default")))
    return found


def topology_payload(rows: list[Row], namespace: str = "") -> dict[str, Any]:
    """Cytoscape elements for `rows` (optionally the part touching one namespace)."""
    services = {(row.namespace, row.name) for row in rows if row.kind == "Service"}
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, Any]] = {}

    def service_node(ns: str, name: str) -> str:
        node_id = f"svc:{ns}/{name}"
        nodes.setdefault(f"ns:{ns}", {"id": f"ns:{ns}", "label": ns, "type": "namespace"})
        nodes.setdefault(node_id, {"id": node_id, "label": name, "namespace": ns, "parent": f"ns:{ns}",
                                   "type": "service", "missing": (ns, name) not in services})
        return node_id

    for ns, name in sorted(services):
        if not namespace or ns == namespace:
            service_node(ns, name)
    for split in (row for row in rows if row.kind == "TrafficSplit"):
        if namespace and split.namespace != namespace:
            continue
        root = service_node(split.namespace, str(split.normalized.get("service") or "?"))
        nodes[root]["split"] = split.name
        shares = split.normalized.get("shares") or {}
        for backend in split.normalized.get("backends") or []:
            target = service_node(split.namespace, str(backend.get("service") or "?"))
            share = (shares.get(backend.get("service")) or {}).get("percent")
            edge_id = f"split:{split.namespace}/{split.name}:{backend.get('service')}"
            edges[edge_id] = {"id": edge_id, "source": root, "target": target, "type": "split",
                              "split": split.name, "namespace": split.namespace, "share": share,
                              "label": f"{share:g} %" if isinstance(share, int | float) else "?"}
    by_identity: dict[Identity, list[tuple[str, str]]] = defaultdict(list)
    for service, identities in service_identities(rows).items():
        for identity in identities:
            by_identity[identity].append(service)
    graph = access_graph(PolicyInput(rows))
    for (source, destination), routes in sorted(graph.edges.items()):
        effective = any(route.effective for route in routes)
        for src in by_identity.get(source, []):
            for dst in by_identity.get(destination, []):
                if namespace and namespace not in (src[0], dst[0]):
                    continue
                edge_id = f"allow:{src[0]}/{src[1]}->{dst[0]}/{dst[1]}"
                edges[edge_id] = {"id": edge_id, "source": service_node(*src), "target": service_node(*dst),
                                  "type": "allowed" if effective else "broken",
                                  "targets": sorted({route.target for route in routes}),
                                  "label": "" if effective else "rule names a missing route"}
    return {"nodes": sorted(nodes.values(), key=lambda n: n["id"]),
            "edges": sorted(edges.values(), key=lambda e: e["id"]), "metrics": None}
