"""The overview: clusters with sync status and object counts, policy findings, recent changes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from smi_ui.accounts.permissions import visible_clusters_q, visible_q
from smi_ui.clusters.models import Cluster, SyncState
from smi_ui.clusters.visibility import sees_whole_cluster
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.policy.selectors import cluster_findings
from smi_ui.smi.kinds import REGISTRY

from .common import plural_of

RECENT_CHANGES = 10


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    clusters = list(Cluster.objects.filter(visible_clusters_q(request.user)).prefetch_related("kind_statuses"))
    counts = {
        (row["cluster"], row["kind"]): row["total"]
        for row in KubeObject.objects.filter(visible_q(request.user)).values("cluster", "kind")
        .annotate(total=Count("id"))
    }
    rows = []
    for cluster in clusters:
        findings = cluster_findings(request.user, cluster)
        rows.append({
            "cluster": cluster,
            # the API server, its errors and per-kind sync progress describe the whole cluster
            "cluster_wide": sees_whole_cluster(request.user, cluster),
            "counts": [(kind.kind, counts.get((cluster.pk, kind.kind), 0)) for kind in REGISTRY],
            "errors": findings.errors,
            "warnings": findings.warnings,
            "enforcement": findings.enforcement,
        })
    recent = [{"revision": r, "plural": plural_of(r.kind)} for r in
              Revision.objects.filter(visible_q(request.user), kind__in=REGISTRY.names())
              .select_related("cluster").order_by("-observed_at", "-id")[:RECENT_CHANGES]]
    settling = any(cluster.state != SyncState.CONNECTED for cluster in clusters)
    return render(request, "web/overview.html", {"kinds": REGISTRY, "rows": rows, "recent": recent,
                                                 "settling": settling})
