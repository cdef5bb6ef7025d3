"""Pages. Views stay thin: they gather what services and selectors return and render it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject
from smi_ui.smi.kinds import KINDS


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    clusters = list(Cluster.objects.prefetch_related("kind_statuses"))
    counts = {
        (row["cluster"], row["kind"]): row["total"]
        for row in KubeObject.objects.values("cluster", "kind").annotate(total=Count("id"))
    }
    rows = [
        {"cluster": cluster, "counts": [(kind.kind, counts.get((cluster.pk, kind.kind), 0)) for kind in KINDS]}
        for cluster in clusters
    ]
    return render(request, "web/overview.html", {"kinds": KINDS, "rows": rows})
