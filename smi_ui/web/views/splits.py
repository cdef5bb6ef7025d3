"""The traffic split page: weights and effective shares, edited through the REST API's preview → apply."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from smi_ui.accounts.permissions import may, visible_q
from smi_ui.accounts.roles import Action
from smi_ui.changes.ownership import controller_of
from smi_ui.inventory.models import KubeObject

from .common import visible_cluster


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
        backends.append({"service": service, "weight": number,
                         "share": (shares.get(service) or {}).get("percent", 0)})
    return backends


def eval_fraction(text: str) -> float:
    """`"1/3"` -> 0.333; stored weights are integers or exact fractions written as strings."""
    numerator, _, denominator = text.partition("/")
    return float(numerator) / float(denominator or 1)


@login_required
def split_page(request: HttpRequest, cluster: str, namespace: str, name: str) -> HttpResponse:
    found = visible_cluster(request, cluster)
    obj = KubeObject.objects.filter(visible_q(request.user)).filter(
        cluster=found, namespace=namespace, kind="TrafficSplit", name=name).first()
    if obj is None:
        raise Http404("no such TrafficSplit")
    controller = controller_of(obj.raw or {})
    may_edit = may(request.user, Action.EDIT_WEIGHTS, cluster_id=found.pk, namespace=namespace, kind="TrafficSplit")
    backends = split_backends(obj)
    editable = may_edit and controller is None and bool(backends)
    scale = 100 if sum(b["weight"] for b in backends) <= 100 else max(1000, int(sum(b["weight"] for b in backends)))
    return render(request, "web/split.html", {
        "cluster": found, "object": obj, "backends": backends, "root": (obj.normalized or {}).get("service", ""),
        "controller": controller, "may_edit": may_edit, "editable": editable, "scale": scale,
        "split_state": {
            "api": f"/api/objects/{found.name}/{namespace}/trafficsplits/{name}/weights/",
            "resource_version": obj.resource_version, "scale": scale,
            "backends": backends, "integer_weights": not obj.api_version.endswith("/v1alpha1"),
        },
    })
