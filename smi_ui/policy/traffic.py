"""Verdicts on observed traffic: which live edges the access policy denies, marked on the figures themselves.

The metrics poller marks each namespace's document once per refresh, so the topology, the
weights page and its stepped change all read one answer, worked out on the server:

- each edge gets `denied`: True (no rule in effect connects the two ServiceAccounts and the
  mesh enforces access control), False (allowed, or enforcement is off), None (an end the
  inventory does not know: it cannot be judged);
- each workload gets `denied_rps` (requests arriving over denied edges) and
  `allowed_success_rate` (its success rate over the rest): requests the mesh refuses are a
  policy fact, not a failure of the workload, so a canary's gate reads the allowed figure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject

from .findings import allowed_pairs, workload_identities
from .graph import access_graph
from .inputs import POLICY_KINDS, Identity, PolicyInput, Row

#: How long a cluster's verdict table may stay cached; an inventory change changes the key anyway.
CACHE_SECONDS = 600


@dataclass(frozen=True)
class TrafficPolicy:
    """What the mesh lets through, by ServiceAccount pair, and the ServiceAccount each workload runs as."""

    enforced: bool
    allowed: frozenset[tuple[Identity, Identity]]
    identities: dict[tuple[str, str], Identity]

    def denied(self, source: tuple[str, str], destination: tuple[str, str]) -> bool | None:
        if not self.enforced:
            return False
        caller, callee = self.identities.get(source), self.identities.get(destination)
        if caller is None or callee is None:
            return None
        return (caller, callee) not in self.allowed


def traffic_policy(cluster_id: int) -> TrafficPolicy | None:
    """The whole cluster's verdict table (not a reader's view: the figures are shared), cached per inventory change."""
    from .selectors import access_control_on, inventory_version

    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return None
    identity = repr((cluster.pk, inventory_version(cluster), access_control_on(cluster.name))).encode()
    key = "smi-ui:traffic-policy:" + hashlib.sha256(identity).hexdigest()
    found = cache.get(key)
    if found is None:
        rows = [Row(kind, namespace, name, normalized or {}) for kind, namespace, name, normalized in
                KubeObject.objects.filter(cluster=cluster, kind__in=POLICY_KINDS)
                .values_list("kind", "namespace", "name", "normalized")]
        policy = PolicyInput(rows, {row.namespace for row in rows})
        found = TrafficPolicy(access_control_on(cluster.name), allowed_pairs(access_graph(policy)),
                              workload_identities(policy))
        cache.set(key, found, CACHE_SECONDS)
    return found


def _ends(label: str) -> tuple[tuple[str, str], tuple[str, str]] | None:
    source, _, destination = label.partition("->")
    source_namespace, _, source_name = source.partition("/")
    destination_namespace, _, destination_name = destination.partition("/")
    if not (source_name and destination_name):
        return None
    return (source_namespace, source_name), (destination_namespace, destination_name)


def mark_verdicts(document: dict[str, Any], policy: TrafficPolicy | None) -> dict[str, Any]:
    """`document` (a namespace's figures) with `denied` on every edge and the allowed figures per workload."""
    if not document.get("available") or policy is None:
        return document
    denied_in: dict[str, list[float]] = {}  # workload -> [denied rps, denied successful rps]
    edges = {}
    for label, figures in (document.get("edges") or {}).items():
        ends = _ends(label)
        verdict = None if ends is None else policy.denied(*ends)
        edges[label] = {**figures, "denied": verdict}
        if verdict and ends[1][0] == document.get("namespace"):
            rps = float(figures.get("rps") or 0)
            success = figures.get("success_rate")
            totals = denied_in.setdefault(ends[1][1], [0.0, 0.0])
            totals[0] += rps
            totals[1] += rps * (float(success) if success is not None else 0.0)
    resources = {}
    for name, figures in (document.get("resources") or {}).items():
        denied_rps, denied_good = denied_in.get(name, (0.0, 0.0))
        resources[name] = {**figures, "denied_rps": round(denied_rps, 3),
                           "allowed_success_rate": _allowed_success(figures, denied_rps, denied_good)}
    return {**document, "edges": edges, "resources": resources}


def _allowed_success(figures: dict[str, Any], denied_rps: float, denied_good: float) -> float | None:
    """Success over the requests policy let through: (all good − denied good) ÷ (all − denied)."""
    rps, success = float(figures.get("rps") or 0), figures.get("success_rate")
    if success is None:
        return None
    allowed = rps - denied_rps
    if allowed <= 1e-9:
        return None
    return round(min(1.0, max(0.0, (rps * float(success) - denied_good) / allowed)), 4)


def judge_namespace_figures(cluster_id: int, document: dict[str, Any]) -> dict[str, Any]:
    """The poller's hook: the document marked with the cluster's current verdicts."""
    return mark_verdicts(document, traffic_policy(cluster_id))
