"""Editing pages: a structured form and a YAML editor per SMI kind, for new and existing objects.

The pages only render; every change is sent by static/js/editor.js to the REST API, whose
pipeline (smi_ui.changes) authorizes, validates, previews (diff + dry run), writes and
audits. The pages are offered only to users whose role allows editing that kind in that
namespace; the API refuses everyone else whatever they send.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from smi_ui.accounts.permissions import may, may_anywhere, visible_q
from smi_ui.accounts.roles import Action
from smi_ui.changes.ownership import controller_of
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject
from smi_ui.smi.kinds import REGISTRY, KindInfo

from .. import forms, references
from ..references import MAX_REFERENCES
from .common import visible_cluster

#: The largest body a reference check reads: a form's manifest is a few kilobytes.
MAX_CHECK_BYTES = 65_536


def smi_kind(plural: str) -> KindInfo:
    """The SMI kind a URL names by its plural; 404 for anything else (Services are not edited here)."""
    info = REGISTRY.from_url(plural)
    if info is None:
        raise Http404("no such kind")
    return info


def may_edit(user: Any, cluster: Cluster, namespace: str, kind: str) -> bool:
    """Whether the edit links and pages are offered (the API checks again on every request)."""
    return may(user, Action.EDIT_POLICY, cluster_id=cluster.pk, namespace=namespace, kind=kind)


def edit_links(user: Any, obj: KubeObject) -> dict[str, str] | None:
    """Links to the form and YAML editor of an object, or None when they are not to be offered."""
    if obj.kind not in REGISTRY or controller_of(obj.raw or {}) is not None:
        return None
    if not may_edit(user, obj.cluster, obj.namespace, obj.kind):
        return None
    args = (obj.cluster.name, obj.namespace, REGISTRY[obj.kind].plural, obj.name)
    return {"form": reverse("web:object-edit", args=args), "yaml": reverse("web:object-yaml", args=args)}


def _stored(request: HttpRequest, cluster: Cluster, namespace: str, info: KindInfo, name: str) -> KubeObject:
    obj = KubeObject.objects.filter(visible_q(request.user)).filter(
        cluster=cluster, namespace=namespace, kind=info.kind, name=name).select_related("cluster").first()
    if obj is None:
        raise Http404("no such object")
    if not may_edit(request.user, cluster, namespace, info.kind):
        raise PermissionDenied(f"your role does not allow editing {info.kind} in {cluster.name}/{namespace}")
    return obj


def _api_state(cluster: Cluster, info: KindInfo, namespace: str, name: str, resource_version: str,
               caps: forms.Capabilities | None, mode: str) -> dict[str, Any]:
    """What editor.js needs: where to send, what it edits, and what the version can hold."""
    object_api = f"/api/objects/{cluster.name}/{namespace}/{info.plural}/{name}/" if name else ""
    return {
        "mode": mode, "create": not name, "cluster": cluster.name, "kind": info.kind, "plural": info.plural,
        "namespace": namespace, "name": name, "resource_version": resource_version,
        "api_create": "/api/objects/", "api_object": object_api,
        "object_url": reverse("web:objects", args=(cluster.name,)) + "{namespace}/" + info.plural + "/{name}/",
        "list_url": reverse("web:objects", args=(cluster.name,)) + "?" + urlencode({"namespace": namespace}),
        "caps": caps.as_dict() if caps else None,
        "references": reverse("web:references", args=(cluster.name,))
        if info.kind in references.REFERRING_KINDS else "",
    }


def _edit_page(request: HttpRequest, cluster: str, namespace: str, kind: str, name: str, mode: str) -> HttpResponse:
    found = visible_cluster(request, cluster)
    info = smi_kind(kind)
    obj = _stored(request, found, namespace, info, name)
    raw = obj.raw or {}
    controller = controller_of(raw)
    version = forms.form_version(found, info, raw)
    caps = forms.capabilities(info, version) if version else None
    context: dict[str, Any] = {
        "cluster": found, "info": info, "object": obj, "namespace": namespace, "name": name, "create": False,
        "controller": controller, "caps": caps, "mode": mode, "methods": forms.HTTP_METHODS,
        "other_mode_url": reverse("web:object-yaml" if mode == "form" else "web:object-edit",
                                  args=(found.name, namespace, info.plural, name)),
        "detail_url": reverse("web:object", args=(found.name, namespace, info.plural, name)),
    }
    if controller is None and caps is not None:
        context["editor_state"] = _api_state(found, info, namespace, name, obj.resource_version, caps, mode)
        if mode == "form":
            model = forms.parsed(raw, caps.version, info)
            if model is None:
                context["unreadable"] = True
            context["values"] = forms.form_values(info, model, namespace, caps)
            context["suggest"] = references.suggestions(found, namespace, request.user)
        else:
            context["yaml_text"] = forms.editable_yaml(raw)
            context["yaml_rows"] = forms.editor_rows(context["yaml_text"])
    return render(request, "web/edit_form.html" if mode == "form" else "web/edit_yaml.html", context)


@login_required
@require_GET
def object_form(request: HttpRequest, cluster: str, namespace: str, kind: str, name: str) -> HttpResponse:
    """The structured form of an existing object (read-only with the reason when a controller owns it)."""
    return _edit_page(request, cluster, namespace, kind, name, "form")


@login_required
@require_GET
def object_yaml(request: HttpRequest, cluster: str, namespace: str, kind: str, name: str) -> HttpResponse:
    """The YAML editor of an existing object."""
    return _edit_page(request, cluster, namespace, kind, name, "yaml")


def _new_page(request: HttpRequest, cluster: str, kind: str, mode: str) -> HttpResponse:
    found = visible_cluster(request, cluster)
    info = smi_kind(kind)
    version = forms.form_version(found, info)
    if version is None:
        raise Http404(f"cluster {found.name} does not serve {info.kind}")
    namespaces = forms.editable_namespaces(request.user, found, info)
    if not namespaces:
        raise PermissionDenied(f"your role does not allow creating {info.kind} in {found.name}")
    namespace = request.GET.get("namespace", "")
    if namespace not in namespaces:
        namespace = namespaces[0]
    caps = forms.capabilities(info, version)
    context: dict[str, Any] = {
        "cluster": found, "info": info, "namespace": namespace, "namespaces": namespaces, "name": "", "create": True,
        "caps": caps, "mode": mode, "controller": None, "methods": forms.HTTP_METHODS,
        "other_mode_url": reverse("web:object-new-yaml" if mode == "form" else "web:object-new",
                                  args=(found.name, info.plural)) + "?" + urlencode({"namespace": namespace}),
        "editor_state": _api_state(found, info, namespace, "", "", caps, mode),
    }
    if mode == "form":
        context["values"] = forms.blank_values(info, namespace)
        context["suggest"] = references.suggestions(found, namespace, request.user)
    else:
        context["yaml_text"] = forms.editable_yaml(forms.starter_manifest(info, version, namespace))
        context["yaml_rows"] = forms.editor_rows(context["yaml_text"])
    return render(request, "web/edit_form.html" if mode == "form" else "web/edit_yaml.html", context)


@login_required
@require_GET
def new_form(request: HttpRequest, cluster: str, kind: str) -> HttpResponse:
    """The structured form for a new object, in a namespace where the user may create that kind."""
    return _new_page(request, cluster, kind, "form")


@login_required
@require_GET
def new_yaml(request: HttpRequest, cluster: str, kind: str) -> HttpResponse:
    """The YAML editor for a new object, starting from a minimal manifest in the served version."""
    return _new_page(request, cluster, kind, "yaml")


def creatable_kinds(user: Any, cluster: Cluster, namespace: str) -> list[dict[str, str]]:
    """The kinds the object list offers to create: served by the cluster and allowed to the user."""
    result = []
    for info in REGISTRY:
        if forms.served(cluster, info) is None:
            continue
        if namespace:
            allowed = may_edit(user, cluster, namespace, info.kind)
        else:
            allowed = bool(forms.editable_namespaces(user, cluster, info))
        if allowed:
            suffix = "?" + urlencode({"namespace": namespace}) if namespace else ""
            result.append({"kind": info.kind,
                           "form": reverse("web:object-new", args=(cluster.name, info.plural)) + suffix,
                           "yaml": reverse("web:object-new-yaml", args=(cluster.name, info.plural)) + suffix})
    return result


@extend_schema(exclude=True)
@api_view(["POST"])
def reference_check(request: Request, cluster: str) -> Response:
    """Which reference fields of the form's manifest name nothing the user can see (`{"warnings": [...]}`).

    Asked by the form as the user types; answers warnings only (never blocks a save). The
    same refusals as the form pages: 404 for a cluster the user cannot see, 403 without the
    role to edit the kind in that namespace; the body is bounded before it is parsed.
    """
    found = visible_cluster(request, cluster)
    if not may_anywhere(request.user, Action.EDIT_POLICY):
        raise PermissionDenied("your role does not allow editing SMI objects")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_CHECK_BYTES:
        return Response({"errors": [{"path": "", "message": f"the request body is larger than {MAX_CHECK_BYTES} "
                                     "bytes", "code": "too-large"}]}, status=413)
    body = request.data
    manifest = body.get("manifest") if isinstance(body, dict) else None
    if not isinstance(manifest, dict):
        raise ValidationError({"manifest": ["an object (the form's manifest) is required"]})
    kind = manifest.get("kind")
    if kind not in REGISTRY:
        raise ValidationError({"manifest.kind": [f"one of {', '.join(REGISTRY.names())}"]})
    metadata = manifest.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if not isinstance(namespace, str) or not namespace:
        raise ValidationError({"manifest.metadata.namespace": ["a namespace is required"]})
    if not may_edit(request.user, found, namespace, str(kind)):
        raise PermissionDenied(f"your role does not allow editing {kind} in {found.name}/{namespace}")
    refs = references.references(manifest)
    if len(refs) > MAX_REFERENCES:
        raise ValidationError({"manifest": [f"names {len(refs)} objects; at most {MAX_REFERENCES} are checked"]})
    return Response({"warnings": references.missing_references(request.user, found, refs)})
