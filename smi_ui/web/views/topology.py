"""The topology page and the JSON it draws (fetched again to refresh or expand without re-layout).

Both read only rows the user may view; live traffic reaches the page over the namespace
websockets, which authorise each namespace again (smi_ui.live.consumers).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from smi_ui.accounts.permissions import visible_q
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject
from smi_ui.policy.inputs import Row
from smi_ui.policy.selectors import cluster_findings

from ..topology import COLLAPSE_ABOVE, TOPOLOGY_KINDS, findings_payload, topology_payload
from .common import visible_cluster, visible_namespace_names


def _expand(request: HttpRequest) -> list[str]:
    return sorted({ns for ns in request.GET.get("expand", "").split(",") if ns})


def _payload(request: HttpRequest, cluster_name: str) -> tuple[Cluster, dict[str, Any]]:
    """The cluster and its payload, with the findings (and their counts) every page shows."""
    cluster = visible_cluster(request, cluster_name)
    rows = [Row(kind, ns, name, normalized or {}) for kind, ns, name, normalized in
            KubeObject.objects.filter(cluster=cluster, kind__in=TOPOLOGY_KINDS).filter(visible_q(request.user))
            .values_list("kind", "namespace", "name", "normalized")]
    findings = cluster_findings(request.user, cluster)
    payload = topology_payload(rows, request.GET.get("namespace", ""), expand=_expand(request),
                               collapse_above=int(getattr(settings, "TOPOLOGY_COLLAPSE_ABOVE", COLLAPSE_ABOVE)),
                               access_control=findings.enforcement.on)
    payload.update(findings_payload(findings, reverse("web:policy", args=[cluster.name])))
    return cluster, payload


@login_required
def topology_page(request: HttpRequest, cluster: str) -> HttpResponse:
    found, payload = _payload(request, cluster)
    namespace = request.GET.get("namespace", "")
    query = {key: value for key, value in (("namespace", namespace), ("expand", ",".join(_expand(request))))
             if value}
    return render(request, "web/topology.html", {
        "cluster": found, "namespace": namespace, "namespaces": visible_namespace_names(request.user, found),
        "payload": payload,
        "empty": not any(n["type"] in ("service", "workload") or n.get("collapsed") for n in payload["nodes"]),
        "access_control": payload["accessControl"],
        "config": {"data_url": reverse("web:topology-json", args=[found.name]),
                   "query": query,
                   "object_base": reverse("web:objects", args=[found.name]),
                   "live_base": f"/ws/live/clusters/{found.pk}/namespaces/"},
    })


@login_required
def topology_json(request: HttpRequest, cluster: str) -> JsonResponse:
    _, payload = _payload(request, cluster)
    return JsonResponse(payload)

