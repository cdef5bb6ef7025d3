"""Object pages: the object list, and one object's YAML, parsed fields, problems and revision history."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from smi_ui.accounts.permissions import may, visible_q
from smi_ui.accounts.roles import Action
from smi_ui.changes.diff import for_display, to_yaml, unified_diff
from smi_ui.changes.ownership import controller_of
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.policy.selectors import cluster_findings
from smi_ui.smi.kinds import REGISTRY

from .common import kind_from_plural, plural_of, visible_cluster, visible_namespace_names
from .edit import creatable_kinds, edit_links


def listed_kinds() -> list[str]:
    """The kinds the objects page lists: every registered kind, then what links them to workloads."""
    return [*REGISTRY.names(), "Service", "ServiceAccount", "Deployment"]
PAGE_SIZE = 200


@login_required
def object_list(request: HttpRequest, cluster: str) -> HttpResponse:
    """Objects of one cluster the user may see, with edit and create links where their role allows."""
    found = visible_cluster(request, cluster)
    namespace, kind = request.GET.get("namespace", ""), request.GET.get("kind", "")
    objects = KubeObject.objects.filter(cluster=found, kind__in=listed_kinds()).filter(visible_q(request.user))
    if namespace:
        objects = objects.filter(namespace=namespace)
    if kind:
        objects = objects.filter(kind=kind)
    page = Paginator(objects.order_by("namespace", "kind", "name").only(
        "kind", "namespace", "name", "resource_version", "problems", "observed_at", "raw"), PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    findings = cluster_findings(request.user, found)
    rows = []
    for obj in page.object_list:
        obj.cluster = found  # the same cluster for every row: no query per row
        concerning = findings.concerning(obj.kind, obj.namespace, obj.name)
        rows.append({"object": obj, "plural": plural_of(obj.kind), "edit": edit_links(request.user, obj),
                     "findings": concerning, "problems": len(obj.problems or []) + len(concerning),
                     "worst": max((f.severity for f in concerning), default=None)})
    filters = urlencode({key: value for key, value in (("namespace", namespace), ("kind", kind)) if value})
    return render(request, "web/object_list.html", {
        "cluster": found, "rows": rows, "page": page, "page_query": f"{filters}&" if filters else "",
        "namespace": namespace, "kind": kind, "kinds": listed_kinds(),
        "namespaces": visible_namespace_names(request.user, found),
        "creatable": creatable_kinds(request.user, found, namespace)})





@login_required
def object_detail(request: HttpRequest, cluster: str, namespace: str, kind: str, name: str) -> HttpResponse:
    """One object: highlighted YAML, parsed fields, history and revert, links to its editors where allowed."""
    found = visible_cluster(request, cluster)
    kind_name = kind_from_plural(kind)
    obj = KubeObject.objects.filter(visible_q(request.user)).filter(
        cluster=found, namespace=namespace, kind=kind_name, name=name).first()
    if obj is None:
        raise Http404("no such object")
    obj.cluster = found
    revisions = list(Revision.objects.filter(cluster=found, kind=kind_name, namespace=namespace, name=name)
                     .order_by("-observed_at", "-id")[:50])
    timeline = []
    for revision in revisions:
        timeline.append({"revision": revision, "who": revision.author,
                         "diff": unified_diff(revision.before, revision.after, name=f"{kind_name} {namespace}/{name}",
                                              labels=("before", revision.label))
                         if revision.change != "created" else ""})
    comparison = _comparison(request, revisions)
    metadata = (obj.raw or {}).get("metadata") or {}
    info = REGISTRY.get(kind_name)
    may_revert = info is not None and controller_of(obj.raw or {}) is None and may(
        request.user, Action.EDIT_POLICY, cluster_id=found.pk, namespace=namespace, kind=kind_name)
    return render(request, "web/object_detail.html", {
        "cluster": found, "object": obj, "plural": kind, "yaml": to_yaml(for_display(obj.raw)),
        "normalized": json.dumps(obj.normalized, indent=2, sort_keys=True, ensure_ascii=False),
        "labels": metadata.get("labels") or {}, "annotations": metadata.get("annotations") or {},
        "timeline": timeline, "revisions": revisions, "comparison": comparison,
        "controller": controller_of(obj.raw or {}), "is_split": REGISTRY.has_trait(kind_name, "weighted"),
        "may_revert": may_revert, "edit": edit_links(request.user, obj),
        "findings": cluster_findings(request.user, found).concerning(kind_name, namespace, name),
        "revert_state": {"api": f"/api/objects/{found.name}/{namespace}/{kind}/{name}/revert/",
                         "resource_version": obj.resource_version} if may_revert else None,
    })


def _comparison(request: HttpRequest, revisions: list[Revision]) -> dict | None:
    """The diff between any two revisions chosen in the page's form (`?from=<id>&to=<id>`)."""
    by_id = {str(revision.pk): revision for revision in revisions}
    old, new = by_id.get(request.GET.get("from", "")), by_id.get(request.GET.get("to", ""))
    if old is None or new is None:
        return None
    return {"from": old, "to": new,
            "diff": unified_diff(old.after or old.before, new.after or new.before, name="object",
                                 labels=(old.label, new.label))}
