"""The topology page and the JSON it draws (fetched again to refresh without re-layout)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from smi_ui.accounts.permissions import visible_q
from smi_ui.inventory.models import KubeObject
from smi_ui.policy.inputs import Row

from ..topology import TOPOLOGY_KINDS, topology_payload
from .common import visible_cluster, visible_namespace_names


def _payload(request: HttpRequest, cluster_name: str) -> tuple:
    cluster = visible_cluster(request, cluster_name)
    rows = [Row(kind, ns, name, normalized or {}) for kind, ns, name, normalized in
            KubeObject.objects.filter(cluster=cluster, kind__in=TOPOLOGY_KINDS).filter(visible_q(request.user))
            .values_list("kind", "namespace", "name", "normalized")]
    return cluster, topology_payload(rows, request.GET.get("namespace", ""))


@login_required
def topology_page(request: HttpRequest, cluster: str) -> HttpResponse:
    found, payload = _payload(request, cluster)
    namespace = request.GET.get("namespace", "")
    return render(request, "web/topology.html", {
        "cluster": found, "namespace": namespace, "namespaces": visible_namespace_names(request.user, found),
        "payload": payload, "empty": not any(n["type"] == "service" for n in payload["nodes"]),
        "config": {"data_url": reverse("web:topology-json", args=[found.name]) + (
            "?" + urlencode({"namespace": namespace}) if namespace else ""),
            "object_base": reverse("web:objects", args=[found.name])},
    })


@login_required
def topology_json(request: HttpRequest, cluster: str) -> JsonResponse:
    _, payload = _payload(request, cluster)
    return JsonResponse(payload)
