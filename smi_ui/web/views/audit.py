"""The audit log page: filters (the API's filterset), export links, and the chain's verification status."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from smi_ui.accounts.permissions import may_anywhere, visible_q
from smi_ui.accounts.roles import Action
from smi_ui.audit.chain import verify
from smi_ui.audit.filtersets import AuditEntryFilterSet
from smi_ui.audit.models import AuditEntry, Outcome

FILTERS = ("actor", "cluster", "namespace", "kind", "outcome", "since", "until")


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not may_anywhere(request.user, Action.AUDIT):
        raise PermissionDenied("reading the audit log needs the auditor or admin role")
    params = {key: request.GET[key] for key in FILTERS if request.GET.get(key)}
    filterset = AuditEntryFilterSet(params, queryset=AuditEntry.objects.filter(visible_q(request.user, Action.AUDIT)))
    entries = filterset.qs if filterset.is_valid() else AuditEntry.objects.none()
    page = Paginator(entries.order_by("-sequence"), 50).get_page(request.GET.get("page"))
    query = urlencode(params)
    return render(request, "web/audit.html", {
        "page": page, "params": params, "errors": filterset.errors, "outcomes": Outcome.choices,
        "export_query": query, "chain": verify(),
    })
