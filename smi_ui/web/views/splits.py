"""The traffic split page: weights and effective shares, edited through the REST API's preview → apply.

Beside each backend the page shows live traffic (rate, success rate, p99, observed share) from
the namespace's websocket. Metrics are per workload (Deployment), backends are Services, so the
page is told which workloads serve each backend; the browser adds their figures up.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from smi_ui.accounts.permissions import may, visible_q
from smi_ui.accounts.roles import Action
from smi_ui.changes.ownership import controller_of
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject
from smi_ui.metrics import conf as metrics_conf
from smi_ui.metrics.selectors import namespace_history
from smi_ui.policy.graph import rule_routes
from smi_ui.smi.kinds import REGISTRY

from .common import visible_cluster

#: Provider settings that mean "this cluster has no metrics source" (METRICS_PROVIDERS).
NO_PROVIDER = {"", "none", None}


def split_backends(obj: KubeObject) -> list[dict]:
    """Backends with weight (as a number the sliders can hold) and the effective share in %."""
    shares = (obj.normalized or {}).get("shares") or {}
    backends = []
    for backend in (obj.normalized or {}).get("backends") or []:
        service = backend.get("service") or ""
        weight = backend.get("weight")
        try:
            number = int(weight) if isinstance(weight, int) else float(eval_fraction(str(weight)))
        except (TypeError, ValueError, ZeroDivisionError):
            number = 0
        backends.append({"service": service, "weight": number, "exact": weight,
                         "share": (shares.get(service) or {}).get("percent", 0)})
    return backends


def eval_fraction(text: str) -> float:
    """`"1/3"` -> 0.333; stored weights are integers or exact fractions written as strings."""
    numerator, _, denominator = text.partition("/")
    return float(numerator) / float(denominator or 1)


def backend_workloads(cluster: Cluster, namespace: str, services: list[str]) -> dict[str, list[str]]:
    """Service -> the Deployments behind it, as the mesh routes: the one named like it, else its selector's.

    Metrics providers report per workload, so this is what ties a backend to its figures.
    """
    deployments = {row.name: row.normalized or {} for row in KubeObject.objects.filter(
        cluster=cluster, namespace=namespace, kind="Deployment").only("name", "normalized")}
    selectors = {row.name: (row.normalized or {}).get("selector") or {} for row in KubeObject.objects.filter(
        cluster=cluster, namespace=namespace, kind="Service", name__in=services).only("name", "normalized")}
    workloads: dict[str, list[str]] = {}
    for service in services:
        if service in deployments:
            workloads[service] = [service]
            continue
        selector = selectors.get(service) or {}
        workloads[service] = sorted(
            name for name, fields in deployments.items()
            if selector and selector.items() <= (fields.get("pod_labels") or {}).items())
    return workloads


def split_matches(cluster: Cluster, obj: KubeObject) -> list[dict[str, Any]]:
    """The route groups an A/B split applies to, each with the requests it matches ([] = every request).

    Described with the access policy's own route wording, so the two pages read alike.
    """
    references = (obj.normalized or {}).get("matches") or []
    names = [str(ref.get("name") or "") for ref in references]
    groups = {(row.kind, row.namespace, row.name): row for row in KubeObject.objects.filter(
        cluster=cluster, namespace=obj.namespace, kind="HTTPRouteGroup", name__in=names)
        .only("kind", "namespace", "name", "normalized")}
    matches = []
    for reference in references:
        routes = rule_routes(obj, {"kind": reference.get("kind") or "HTTPRouteGroup", "name": reference.get("name")},
                             groups)
        matches.append({"kind": reference.get("kind") or "HTTPRouteGroup", "name": reference.get("name") or "",
                        "missing": any(route.missing for route in routes),
                        "routes": [route.describe() for route in routes if not route.missing]})
    return matches


def metrics_provider_name(cluster: Cluster) -> str | None:
    """The configured metrics source of the cluster, None when metrics are switched off for it."""
    provider = metrics_conf.provider_config(cluster.name).get("provider")
    return None if provider in NO_PROVIDER else str(provider)


def _visible_split(request: HttpRequest, cluster: str, namespace: str, plural: str, name: str
                   ) -> tuple[Cluster, KubeObject]:
    """The cluster and weighted object the URL names, or 404 when absent or not visible to the user."""
    found = visible_cluster(request, cluster)
    spec = REGISTRY.from_url(plural)
    obj = spec and KubeObject.objects.filter(visible_q(request.user)).filter(
        cluster=found, namespace=namespace, kind=spec.kind, name=name).first()
    if not obj or not may(request.user, Action.VIEW, cluster_id=found.pk, namespace=namespace):
        raise Http404(f"no such {spec.kind if spec else 'object'}")
    return found, obj


@login_required
def split_page(request: HttpRequest, cluster: str, namespace: str, plural: str, name: str) -> HttpResponse:
    """The weights editor with live traffic beside each backend (read-only without an edit grant)."""
    found, obj = _visible_split(request, cluster, namespace, plural, name)
    controller = controller_of(obj.raw or {})
    may_edit = may(request.user, Action.EDIT_WEIGHTS, cluster_id=found.pk, namespace=namespace, kind=obj.kind)
    backends = split_backends(obj)
    editable = may_edit and controller is None and bool(backends)
    scale = 100 if sum(b["weight"] for b in backends) <= 100 else max(1000, int(sum(b["weight"] for b in backends)))
    provider = metrics_provider_name(found)
    return render(request, "web/split.html", {
        "cluster": found, "object": obj, "plural": plural, "backends": backends,
        "root": (obj.normalized or {}).get("service", ""),
        "controller": controller, "may_edit": may_edit, "editable": editable, "scale": scale,
        "metrics_provider": provider, "matches": split_matches(found, obj),
        "split_state": {
            "api": f"/api/objects/{found.name}/{namespace}/{plural}/{name}/weights/",
            "object_api": f"/api/objects/{found.name}/{namespace}/{plural}/{name}/",
            "plan": f"/api/objects/{found.name}/{namespace}/{plural}/{name}/weights/plan/",
            "resource_version": obj.resource_version, "scale": scale, "editable": editable,
            "backends": backends, "integer_weights": not obj.api_version.endswith("/v1alpha1"),
            "kind": obj.kind, "name": name, "namespace": namespace,
            "live": f"/ws/live/clusters/{found.pk}/namespaces/{namespace}/",
            "history": reverse("web:split-history", args=[found.name, namespace, plural, name]),
            "metrics_provider": provider, "poll_seconds": metrics_conf.poll_seconds(),
            "workloads": backend_workloads(found, namespace, [b["service"] for b in backends]),
        },
    })


@login_required
def split_history(request: HttpRequest, cluster: str, namespace: str, plural: str, name: str) -> JsonResponse:
    """Recent request rate and success rate per backend, so sparklines start with the last minutes, not empty.

    Answers from the rolling history the namespace's poller keeps (empty when nobody watches it).
    """
    found, obj = _visible_split(request, cluster, namespace, plural, name)
    services = [b["service"] for b in split_backends(obj)]
    workloads = backend_workloads(found, namespace, services)
    return JsonResponse({"points": [backend_point(point, workloads)
                                    for point in namespace_history(found.pk, namespace)]})


def backend_point(point: dict[str, Any], workloads: dict[str, list[str]]) -> dict[str, Any]:
    """One history point per backend: rates of its workloads added up, success rate weighted by rate."""
    resources = point.get("resources") or {}
    backends: dict[str, list[float | None]] = {}
    for service, names in workloads.items():
        figures = [resources[name] for name in names if name in resources]
        if not figures:
            continue
        rps = sum(float(f[0] or 0) for f in figures)
        measured = [(float(f[0] or 0), f[1]) for f in figures if f[1] is not None]
        weight = sum(r for r, _ in measured)
        success = sum(r * s for r, s in measured) / weight if weight > 0 else None
        backends[service] = [round(rps, 3), None if success is None else round(success, 4)]
    return {"at": point.get("observedAt"), "backends": backends}
