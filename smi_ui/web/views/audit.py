"""The audit log page: filters (the API's filterset), export links, and the chain's verification status.

Every filter lives in the URL, so a filtered view can be bookmarked or sent to a colleague,
and the export links carry the same filters, so what is downloaded is what is shown.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from smi_ui.accounts.permissions import may, may_anywhere, visible_q
from smi_ui.accounts.roles import Action
from smi_ui.audit.chain import recent_verification
from smi_ui.audit.filtersets import AuditEntryFilterSet
from smi_ui.audit.models import AuditEntry, Outcome
from smi_ui.inventory.models import KubeObject
from smi_ui.smi.kinds import REGISTRY

FILTERS = ("actor", "cluster", "namespace", "kind", "outcome", "since", "until")
PAGE_SIZE = 50
#: Quick time ranges offered above the table (label, hours back from now).
RANGES = (("last hour", 1), ("last 24 hours", 24), ("last 7 days", 24 * 7), ("last 30 days", 24 * 30))


def _local_minute(hours: int) -> str:
    """A `since` bound as the page's datetime-local inputs write it (server time zone, to the minute)."""
    return timezone.localtime(timezone.now() - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _choices(entries: object, field: str) -> list[str]:
    """Distinct values of a column among the entries the user may read (for the filter lists)."""
    return sorted(value for value in entries.exclude(**{field: ""}).values_list(field, flat=True)  # type: ignore[attr-defined]
                  .distinct().order_by()[:500] if value)


def _object_url(entry: AuditEntry) -> str:
    info = REGISTRY.get(entry.kind)
    if info is None or not (entry.cluster_name and entry.namespace and entry.name):
        return ""
    return f"/clusters/{entry.cluster_name}/objects/{entry.namespace}/{info.plural}/{entry.name}/"


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Audit entries in the reader's scopes, newest first, filtered and paginated as the URL says."""
    if not may_anywhere(request.user, Action.AUDIT):
        raise PermissionDenied("reading the audit log needs the auditor or admin role")
    readable = AuditEntry.objects.filter(visible_q(request.user, Action.AUDIT))
    params = {key: request.GET[key] for key in FILTERS if request.GET.get(key)}
    filterset = AuditEntryFilterSet(params, queryset=readable)
    entries = filterset.qs if filterset.is_valid() else AuditEntry.objects.none()
    page = Paginator(entries.order_by("-sequence"), PAGE_SIZE).get_page(request.GET.get("page"))
    existing = set(KubeObject.objects.filter(kind__in=REGISTRY.names(),
                                             name__in={entry.name for entry in page.object_list})
                   .values_list("cluster__name", "namespace", "kind", "name"))
    for entry in page.object_list:  # link only objects that exist (a refused create never did)
        key = (entry.cluster_name, entry.namespace, entry.kind, entry.name)
        entry.object_url = _object_url(entry) if key in existing else ""
    query = urlencode(params)
    verification = recent_verification(refresh=request.GET.get("verify") == "now", requester=str(request.user.pk))
    chain, verified_at = verification.report, verification.verified_at
    # counts and the broken entry's number describe the whole log: only for readers of all of it
    whole_log = may(request.user, Action.AUDIT, cluster_id=None, namespace="")
    without_since = {key: value for key, value in params.items() if key not in ("since", "until")}
    return render(request, "web/audit.html", {
        "page": page, "params": params, "errors": filterset.errors, "outcomes": Outcome.choices,
        "export_query": query, "page_query": f"{query}&" if query else "",
        "chain": chain, "chain_verified_at": verified_at, "chain_details": whole_log,
        "chain_refresh_refused": verification.refresh_refused,
        "actors": _choices(readable, "actor"), "clusters": _choices(readable, "cluster_name"),
        "namespaces": _choices(readable, "namespace"),
        "kinds": sorted({*REGISTRY.names(), *_choices(readable, "kind")}),
        "ranges": [{"label": label, "query": urlencode({**without_since, "since": _local_minute(hours)})}
                   for label, hours in RANGES],
    })
