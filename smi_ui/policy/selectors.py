"""Policy from the inventory, limited to what the reader may see: the one source every page asks.

`enforcement` says whether a cluster's mesh denies what no rule allows (SMI_ACCESS_CONTROL);
`cluster_findings` is the list (and the counts) of findings the overview, topology, policy
pages, report, objects list and object pages all show. The inventory-only part of the
analysis is cached per (cluster, inventory version, the reader's view grants), so a large
policy is analysed once per change, not once per page view.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max

from smi_ui.accounts.permissions import scopes_for, visible_namespaces_q, visible_q
from smi_ui.accounts.roles import Action
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject
from smi_ui.metrics.selectors import cached_namespace_metrics

from .analysis import PolicyAnalysis, analyse
from .findings import Finding, ObjectRef, ObservedTraffic, Severity, observed_traffic
from .inputs import POLICY_KINDS, PolicyInput, Row

#: What the analysis reads: policy, and the Services in front of workloads (findings name them too).
READ_KINDS = (*POLICY_KINDS, "Service")
#: How long an analysis may stay cached; a change of the inventory replaces it, one of the grants changes the key.
ANALYSIS_CACHE_SECONDS = 3600


def policy_input(user: Any, cluster: Cluster) -> PolicyInput:
    """The policy rows of `cluster` the user may see; namespaces they may see count as fully known."""
    objects = (KubeObject.objects.filter(cluster=cluster, kind__in=READ_KINDS).filter(visible_q(user))
               .values_list("kind", "namespace", "name", "normalized"))
    rows = [Row(kind, namespace, name, normalized or {}) for kind, namespace, name, normalized in objects]
    known = set(KubeObject.objects.filter(cluster=cluster, kind="Namespace").filter(visible_namespaces_q(user))
                .values_list("name", flat=True))
    known |= {row.namespace for row in rows if row.kind in ("ServiceAccount", "Deployment")}
    return PolicyInput(rows, known)


def access_control_on(cluster_name: str) -> bool:
    """Whether the mesh of `cluster_name` denies what no TrafficTarget allows.

    Read from the SMI_ACCESS_CONTROL setting (cluster name -> bool, "*" for the rest). The
    default is on, the SMI spec's deny-by-default; meshes in permissive mode (OSM's
    enablePermissiveTrafficPolicyMode, Traefik Mesh without acl) are configured off.
    """
    configured: Any = getattr(settings, "SMI_ACCESS_CONTROL", {})
    if isinstance(configured, bool):
        return configured
    configured = configured or {}
    return bool(configured.get(cluster_name, configured.get("*", True)))


@dataclass(frozen=True)
class Enforcement:
    """A cluster's enforcement mode, as every page states it."""

    cluster: str
    on: bool

    @property
    def label(self) -> str:
        return "on" if self.on else "off (permissive)"


def enforcement(cluster: Cluster) -> Enforcement:
    """The one answer to "does this mesh deny what no TrafficTarget allows?" (see `access_control_on`)."""
    return Enforcement(cluster.name, access_control_on(cluster.name))


def cached_observed_traffic(cluster_id: int, namespaces: Iterable[str]) -> list[ObservedTraffic]:
    """Observed edges of the namespaces someone currently watches (no provider query: cached figures only).

    Callers must have checked that the user may view these namespaces.
    """
    return observed_traffic(document for namespace in namespaces
                            if (document := cached_namespace_metrics(cluster_id, namespace)) is not None)


def observed_traffic_for(user: Any, cluster: Cluster) -> list[ObservedTraffic]:
    """Cached observed edges whose two ends lie in namespaces the user may see."""
    visible = set(KubeObject.objects.filter(cluster=cluster, kind="Namespace").filter(visible_namespaces_q(user))
                  .values_list("name", flat=True))
    return [edge for edge in cached_observed_traffic(cluster.pk, sorted(visible))
            if edge.source_namespace in visible and edge.destination_namespace in visible]


def inventory_version(cluster: Cluster) -> tuple[Any, ...]:
    """Changes whenever a row policy reads is added, changed or removed (count, newest id, newest observation)."""
    found = (KubeObject.objects.filter(cluster=cluster, kind__in=(*READ_KINDS, "Namespace"))
             .aggregate(rows=Count("id"), newest=Max("id"), observed=Max("observed_at")))
    observed = found["observed"]
    return found["rows"], found["newest"], observed.isoformat() if observed else ""


def reader_scope(user: Any, cluster: Cluster) -> tuple[str, ...]:
    """The namespaces of `cluster` the user may view ("" = all): readers with the same scope see the same policy."""
    namespaces = sorted({scope.namespace for scope in scopes_for(user, Action.VIEW)
                         if scope.cluster_id in (None, cluster.pk)})
    return ("",) if "" in namespaces else tuple(namespaces)


def policy_analysis(user: Any, cluster: Cluster) -> PolicyAnalysis:
    """The access graph and rule findings the user may see, computed once per inventory change.

    One cache entry per (cluster, reader scope), holding the inventory version it was built
    from: a newer version replaces it, so old analyses never pile up in the cache.
    """
    scope = repr((cluster.pk, reader_scope(user, cluster))).encode()
    key = "smi-ui:policy-analysis:" + hashlib.sha256(scope).hexdigest()
    version = inventory_version(cluster)
    cached = cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    found = analyse(policy_input(user, cluster))
    cache.set(key, (version, found), ANALYSIS_CACHE_SECONDS)
    return found


@dataclass
class ClusterFindings:
    """The findings of one cluster for one reader, with the counts every page shows."""

    enforcement: Enforcement
    findings: list[Finding] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def counts(self) -> dict[str, int]:
        return {"total": len(self.findings), "errors": self.errors, "warnings": self.warnings}

    def in_namespace(self, namespace: str) -> list[Finding]:
        return [f for f in self.findings if not namespace or f.namespace == namespace]

    def of_code(self, code: str) -> list[Finding]:
        return [f for f in self.findings if f.code == code]

    @cached_property
    def by_object(self) -> dict[ObjectRef, list[Finding]]:
        """Findings per object they concern (a finding about two objects is listed under both)."""
        index: dict[ObjectRef, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            for ref in finding.concerns:
                index[ref].append(finding)
        return dict(index)

    def concerning(self, kind: str, namespace: str, name: str) -> list[Finding]:
        return self.by_object.get(ObjectRef(kind, namespace, name), [])


def cluster_findings(user: Any, cluster: Cluster, observed: Iterable[ObservedTraffic] | None = None, *,
                     analysis: PolicyAnalysis | None = None) -> ClusterFindings:
    """Every finding the user may see in `cluster`: rules, and the traffic observed right now.

    `observed` defaults to the edges the metrics pollers last cached for namespaces the
    user may see; traffic findings only count where the cluster enforces access control.
    `analysis` is the user's `policy_analysis` of the cluster when the caller already has it.
    """
    mode = enforcement(cluster)
    if observed is None:
        observed = observed_traffic_for(user, cluster) if mode.on else []
    analysis = analysis or policy_analysis(user, cluster)
    return ClusterFindings(mode, analysis.findings(observed, access_control=mode.on))
