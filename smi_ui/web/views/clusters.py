"""The clusters page and one cluster's page: where each cluster is, how its sync is doing, what it serves."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from smi_ui.accounts.permissions import visible_clusters_q, visible_q
from smi_ui.clusters.models import Cluster, SyncState
from smi_ui.clusters.visibility import sees_whole_cluster
from smi_ui.inventory.models import KubeObject
from smi_ui.smi.kinds import REGISTRY

from .common import visible_cluster


@login_required
def cluster_list(request: HttpRequest) -> HttpResponse:
    clusters = list(Cluster.objects.filter(visible_clusters_q(request.user)))
    totals = dict(KubeObject.objects.filter(visible_q(request.user), kind__in=[k.kind for k in REGISTRY])
                  .values_list("cluster").annotate(total=Count("id")).values_list("cluster", "total"))
    rows = [{"cluster": c, "cluster_wide": sees_whole_cluster(request.user, c), "smi_objects": totals.get(c.pk, 0)}
            for c in clusters]
    settling = any(c.state in (SyncState.PENDING, SyncState.SYNCING) for c in clusters)
    return render(request, "web/cluster_list.html", {"rows": rows, "settling": settling})


@login_required
def cluster_detail(request: HttpRequest, cluster: str) -> HttpResponse:
    found = visible_cluster(request, cluster)
    cluster_wide = sees_whole_cluster(request.user, found)
    counts = dict(KubeObject.objects.filter(visible_q(request.user), cluster=found)
                  .values_list("kind").annotate(total=Count("id")).values_list("kind", "total"))
    kinds = [{"kind": k, "count": counts.get(k.kind, 0), "served": found.served_kinds.get(k.kind)} for k in REGISTRY]
    linking = [(kind, counts.get(kind, 0)) for kind in ("Namespace", "Service", "ServiceAccount", "Deployment")]
    statuses = list(found.kind_statuses.all()) if cluster_wide else []
    lease = getattr(found, "lease", None) if cluster_wide else None
    return render(request, "web/cluster_detail.html", {
        "cluster": found, "cluster_wide": cluster_wide, "kinds": kinds, "linking": linking,
        "statuses": statuses, "lease": lease,
        "settling": found.state in (SyncState.PENDING, SyncState.SYNCING),
    })
