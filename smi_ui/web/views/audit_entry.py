"""One audit entry on its own page: everything the log recorded about one attempt, and its place in the chain."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from smi_ui.accounts.permissions import visible_q
from smi_ui.accounts.roles import Action
from smi_ui.audit.models import AuditEntry
from smi_ui.changes.diff import unified_diff
from smi_ui.inventory.models import KubeObject
from smi_ui.smi.kinds import REGISTRY

#: Attempts of the same request shown beside the entry (a preview and its apply share none, a retry does).
SAME_REQUEST_LIMIT = 20


@login_required
def audit_entry(request: HttpRequest, sequence: int) -> HttpResponse:
    """404, not 403, for an entry outside the reader's audit scopes: its existence is itself a fact."""
    readable = AuditEntry.objects.filter(visible_q(request.user, Action.AUDIT))
    entry = readable.filter(sequence=sequence).first()
    if entry is None:
        raise Http404("no such audit entry")
    info = REGISTRY.get(entry.kind)
    exists = info is not None and KubeObject.objects.filter(
        cluster__name=entry.cluster_name, namespace=entry.namespace, kind=entry.kind, name=entry.name).exists()
    object_url = f"/clusters/{entry.cluster_name}/objects/{entry.namespace}/{info.plural}/{entry.name}/" \
        if exists and info is not None else ""
    same_request = list(readable.filter(request_id=entry.request_id).exclude(pk=entry.pk)
                        .order_by("sequence")[:SAME_REQUEST_LIMIT]) if entry.request_id else []
    name = f"{entry.kind} {entry.namespace}/{entry.name}".strip()
    return render(request, "web/audit_entry.html", {
        "entry": entry, "object_url": object_url, "same_request": same_request,
        "diff": unified_diff(entry.before, entry.after, name=name, labels=("before", "after"))
        if entry.before is not None or entry.after is not None else "",
        "previous": readable.filter(sequence__lt=sequence).order_by("-sequence").values_list("sequence", flat=True)
        .first(),
        "next": readable.filter(sequence__gt=sequence).order_by("sequence").values_list("sequence", flat=True).first(),
    })
