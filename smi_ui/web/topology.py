"""The topology payload: Services as nodes (in namespace groups), TrafficSplit fan-outs and allowed edges.

Built from inventory rows only. Policy edges join ServiceAccounts to the Services whose
pods run as them (Service selector ⊆ Deployment pod labels). Live traffic is not part of
the payload: the page subscribes to the namespaces listed under `live` and draws observed
edges itself, using `workloads` (Deployment -> node and identity) to place them and
`allowedPairs` (identity pairs some rule lets through) to mark traffic policy would deny.

Large meshes stay drawable because the server aggregates: above `collapse_above` Services
in view, every namespace not asked for in `expand` becomes one summary node, and edges
touching a summary node are merged per (type, source node, target node) with a count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from smi_ui.policy.graph import access_graph
from smi_ui.policy.inputs import POLICY_KINDS, Identity, PolicyInput, Row
from smi_ui.smi.kinds import REGISTRY

if TYPE_CHECKING:
    from smi_ui.policy.selectors import ClusterFindings

#: What the view reads (ServiceAccounts themselves are not needed: identities come from the workloads).
TOPOLOGY_KINDS = ("Service", "Deployment", *REGISTRY.names())

#: Services in view above which namespaces are drawn as summary nodes (the page expands them on demand).
COLLAPSE_ABOVE = 150
#: Namespaces one page subscribes to for live traffic; more would start as many pollers.
MAX_LIVE_NAMESPACES = 8

Key = tuple[str, str]  # (namespace, name)


class _Mesh:
    """Rows indexed once, so that matching selectors to workloads is a few set intersections, not a scan."""

    def __init__(self, rows: Iterable[Row]):
        self.services: dict[Key, Row] = {}
        self.workloads: dict[Key, Row] = {}
        self.splits: list[Row] = []
        by_label: dict[tuple[str, str, str], set[Key]] = defaultdict(set)
        policy_rows: list[Row] = []
        for row in rows:
            key = (row.namespace, row.name)
            if row.kind == "Service":
                self.services[key] = row
            elif row.kind == "Deployment":
                self.workloads[key] = row
                for label, value in (row.normalized.get("pod_labels") or {}).items():
                    by_label[(row.namespace, label, str(value))].add(key)
            elif REGISTRY.has_trait(row.kind, "edge_source"):
                self.splits.append(row)
            if row.kind in POLICY_KINDS:
                policy_rows.append(row)
        self.policy = PolicyInput(policy_rows)
        self.identities = {key: Identity(key[0], str(row.normalized.get("service_account") or "default"))
                           for key, row in self.workloads.items()}
        self.selected: dict[Key, set[Key]] = {}  # Service -> Deployments it selects
        for key, service in self.services.items():
            selector = service.normalized.get("selector") or {}
            found: set[Key] | None = None
            for label, value in selector.items():
                matching = by_label.get((key[0], label, str(value)), set())
                found = set(matching) if found is None else found & matching
                if not found:
                    break
            self.selected[key] = found or set()

    def identity(self, workload: Key) -> Identity:
        return self.identities[workload]


def service_identities(rows: list[Row]) -> dict[Key, set[Identity]]:
    """(namespace, Service) -> the ServiceAccounts of the workloads it selects."""
    mesh = _Mesh(rows)
    return {service: {mesh.identity(w) for w in workloads} for service, workloads in mesh.selected.items() if workloads}


def topology_payload(rows: list[Row], namespace: str = "", *, expand: Iterable[str] = (),
                     collapse_above: int = COLLAPSE_ABOVE, access_control: bool = True) -> dict[str, Any]:
    """Cytoscape elements for `rows` (optionally the part touching one namespace), aggregated when large.

    `expand` names namespaces drawn service by service even when the rest is collapsed;
    `access_control` says whether the mesh denies what no TrafficTarget allows (the page
    then marks observed traffic without an allowing rule).
    """
    mesh = _Mesh(rows)
    split_roots = {(row.namespace, str(row.normalized.get("service") or "?")) for row in mesh.splits}

    # 1. Service-level edges: (type, source, target, what the edge's data is made of). The data
    #    dicts are only built for edges drawn one by one: most edges of a large mesh are merged.
    raw_edges: list[tuple[str, Key, Key, Any]] = []
    for split in mesh.splits:
        if namespace and split.namespace != namespace:
            continue
        shares = split.normalized.get("shares") or {}
        for root, target, backend in REGISTRY[split.kind].traits.edge_source.edges(split.normalized):
            share = (shares.get(backend) or {}).get("percent")
            raw_edges.append(("split", (split.namespace, root), (split.namespace, target), (split, backend, share)))
    by_identity: dict[Identity, list[Key]] = defaultdict(list)
    for service, workloads in sorted(mesh.selected.items()):
        for identity in sorted({mesh.identities[w] for w in workloads}):
            by_identity[identity].append(service)
    graph = access_graph(mesh.policy)
    allowed_pairs: set[tuple[Identity, Identity]] = set()
    for (source, destination), routes in graph.edges.items():
        effective = any(route.effective for route in routes)
        if effective:
            allowed_pairs.add((source, destination))
        kind = "allowed" if effective else "broken"
        for src in by_identity.get(source, ()):
            for dst in by_identity.get(destination, ()):
                if namespace and namespace not in (src[0], dst[0]):
                    continue
                raw_edges.append((kind, src, dst, routes))

    # 2. What is in view, and what is collapsed.
    in_view = {key for key in mesh.services if not namespace or key[0] == namespace}
    for _, source, target, _ in raw_edges:
        in_view.update((source, target))
    namespaces = sorted({key[0] for key in in_view} | ({namespace} if namespace else set()))
    expanded = set(expand)
    collapsed = set() if len(in_view) <= collapse_above else {ns for ns in namespaces
                                                             if ns not in expanded and ns != namespace}

    nodes: dict[str, dict[str, Any]] = {}
    counts: dict[str, dict[str, int]] = {ns: {"services": 0, "splits": 0, "internal": 0} for ns in namespaces}
    for ns in namespaces:
        nodes[f"ns:{ns}"] = {"id": f"ns:{ns}", "label": ns, "type": "namespace", "namespace": ns,
                             "collapsed": ns in collapsed}

    def node_of(key: Key) -> str:
        ns, name = key
        if ns in collapsed:
            return f"ns:{ns}"
        node_id = f"svc:{ns}/{name}"
        if node_id not in nodes:
            nodes[node_id] = {"id": node_id, "label": name, "namespace": ns, "parent": f"ns:{ns}",
                              "type": "service", "kind": "Service", "missing": key not in mesh.services}
        return node_id

    for key in sorted(in_view):
        counts[key[0]]["services"] += 1
        node_of(key)
    for split in mesh.splits:
        if split.namespace in counts:
            counts[split.namespace]["splits"] += 1
            root = (split.namespace, str(split.normalized.get("service") or "?"))
            if split.namespace not in collapsed and root in in_view:
                nodes[node_of(root)]["split"] = split.name

    # 3. Edges, merged per (type, source node, target node) where a summary node is involved.
    edges: dict[str, dict[str, Any]] = {}
    for kind, source, target, parts in raw_edges:
        src, dst = node_of(source), node_of(target)
        if source[0] not in collapsed and target[0] not in collapsed:
            data = _edge_data(kind, source, target, parts)
            edges[data["id"]] = {**data, "source": src, "target": dst, "type": kind}
            continue
        if src == dst:
            counts[source[0]]["internal"] += 1
            continue
        edge_id = f"agg:{kind}:{src}->{dst}"
        merged = edges.setdefault(edge_id, {"id": edge_id, "source": src, "target": dst, "type": kind,
                                            "aggregate": True, "count": 0})
        merged["count"] += 1
        merged["label"] = f"×{merged['count']}"
    for ns in namespaces:
        node = nodes[f"ns:{ns}"]
        node.update(counts[ns])
        if ns in collapsed:
            node["label"] = f"{ns} · {counts[ns]['services']} services"

    # 4. Where live traffic lands: Deployment -> [node, identity].
    live = [ns for ns in namespaces if ns not in collapsed and (not namespace or ns == namespace)]
    primary: dict[Key, Key] = {}
    for service, workloads in mesh.selected.items():
        for workload in workloads:
            best = primary.get(workload)
            rank = (service[1] != workload[1], service in split_roots, service)
            if best is None or rank < (best[1] != workload[1], best in split_roots, best):
                primary[workload] = service
    workloads_out: dict[str, list[str]] = {}
    for workload in sorted(mesh.workloads) if live else ():  # nothing watched: the page needs no map
        if workload[0] not in counts:
            continue
        if workload in primary and primary[workload] in in_view:
            node_id = node_of(primary[workload])
        elif workload[0] in collapsed:
            node_id = f"ns:{workload[0]}"
        else:
            node_id = f"wl:{workload[0]}/{workload[1]}"
            if workload[0] in live:
                nodes[node_id] = {"id": node_id, "label": workload[1], "namespace": workload[0],
                                  "parent": f"ns:{workload[0]}", "type": "workload", "kind": "Deployment"}
        workloads_out[f"{workload[0]}/{workload[1]}"] = [node_id, str(mesh.identities[workload])]
    live_set = set(live[:MAX_LIVE_NAMESPACES])
    pairs = sorted(f"{s}->{d}" for s, d in allowed_pairs if s.namespace in live_set or d.namespace in live_set)
    return {"nodes": sorted(nodes.values(), key=lambda n: n["id"]),
            "edges": sorted(edges.values(), key=lambda e: e["id"]),
            "aggregated": bool(collapsed), "collapseAbove": collapse_above,
            "totals": {"services": len(in_view), "edges": len(raw_edges)},
            "workloads": workloads_out, "allowedPairs": pairs, "accessControl": access_control,
            "live": {"namespaces": live[:MAX_LIVE_NAMESPACES], "omitted": live[MAX_LIVE_NAMESPACES:]}}


def _edge_data(kind: str, source: Key, target: Key, parts: Any) -> dict[str, Any]:
    """The data of one edge drawn on its own (ids are stable: the page updates elements by id)."""
    if kind == "split":
        split, backend, share = parts
        return {"id": f"split:{split.namespace}/{split.name}:{backend}", "split": split.name,
                "namespace": split.namespace, "share": share,
                "label": f"{share:g} %" if isinstance(share, int | float) else "?"}
    return {"id": f"allow:{source[0]}/{source[1]}->{target[0]}/{target[1]}",
            "targets": sorted({route.target for route in parts}),
            "label": "" if kind == "allowed" else "rule names a missing route"}


def findings_payload(findings: ClusterFindings, policy_url: str) -> dict[str, Any]:
    """The cluster's findings as the page shows them: the traffic no rule allows, and the counts of all.

    The counts are the overview's and the policy page's (one source: `cluster_findings`).
    """
    return {"findings": [{"namespace": f.namespace, "message": f.message, "hint": f.hint,
                          "concerns": [f"{ref.namespace}/{ref.name}" for ref in f.concerns]}
                         for f in findings.of_code("unallowed-traffic")],
            "findingCounts": findings.counts, "policyUrl": policy_url}
