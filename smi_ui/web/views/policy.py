"""The access policy pages: matrix, who-can-reach / what-can-X-reach, findings, exports, printable report.

Every page reads the one cached analysis (`policy_analysis`) and the one findings source
(`cluster_findings`), and shows a bounded amount whatever the policy: matrix and findings
are paginated, a cell lists a few routes and links to the pair's full list; the CSV
exports carry everything and are streamed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from smi_ui.policy.exports import access_csv_chunks, findings_csv
from smi_ui.policy.graph import AccessGraph
from smi_ui.policy.inputs import Identity
from smi_ui.policy.matrix import CELL_ROUTES, Cell, access_matrix
from smi_ui.policy.selectors import cluster_findings, policy_analysis

from .common import visible_cluster, visible_namespace_names

FINDINGS_PER_PAGE = 100
#: The printable report lists at most this many findings (the findings CSV has all of them).
REPORT_FINDINGS = 500
#: Peers listed in the who-can-reach / what-can-X-reach view.
PEERS_SHOWN = 100
ROUTES_PER_PAGE = 100
#: Above this many identities the identity picker is a text field rather than a list.
PICKER_OPTIONS = 300
CSV = "text/csv; charset=utf-8"


def _number(request: HttpRequest, key: str) -> int:
    value = request.GET.get(key, "")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _link(request: HttpRequest, **changes: Any) -> str:
    """This page's URL with some query parameters changed (None drops one)."""
    query = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    return "?" + query.urlencode()


def _pager(request: HttpRequest, key: str, page: int, pages: int) -> dict[str, Any] | None:
    if pages <= 1:
        return None
    return {"page": page, "pages": pages, "key": key,
            "previous": _link(request, **{key: page - 1}) if page > 1 else "",
            "next": _link(request, **{key: page + 1}) if page < pages else ""}


def _page_of(request: HttpRequest, items: list, key: str, size: int) -> tuple[Page, dict[str, Any] | None]:
    page = Paginator(items, size).get_page(_number(request, key))
    return page, _pager(request, key, page.number, page.paginator.num_pages)


def _analysis(request: HttpRequest, cluster_name: str) -> dict[str, Any]:
    cluster = visible_cluster(request, cluster_name)
    analysis = policy_analysis(request.user, cluster)
    found = cluster_findings(request.user, cluster, analysis=analysis)
    namespace = request.GET.get("namespace", "")
    return {"cluster": cluster, "graph": analysis.graph, "summary": found, "enforcement": found.enforcement,
            "findings": found.in_namespace(namespace), "namespace": namespace}


def _matrix(request: HttpRequest, context: dict[str, Any]) -> None:
    matrix = access_matrix(context["graph"], context["namespace"], row_page=_number(request, "rows"),
                           column_page=_number(request, "columns"))
    context.update(matrix=matrix, row_pager=_pager(request, "rows", matrix.row_page, matrix.row_pages),
                   column_pager=_pager(request, "columns", matrix.column_page, matrix.column_pages))


def _peers(graph: AccessGraph, pairs: list[tuple[Identity, Identity]]) -> list[Cell]:
    """Cells of the first `PEERS_SHOWN` pairs, with the routes that take effect (who-can-reach semantics)."""
    return [Cell(source, destination, graph.first_effective(source, destination, CELL_ROUTES),
                 graph.effective[(source, destination)]) for source, destination in pairs[:PEERS_SHOWN]]


@login_required
def access_policy(request: HttpRequest, cluster: str) -> HttpResponse:
    context = _analysis(request, cluster)
    graph = context["graph"]
    context["findings_total"] = len(context["findings"])
    context["findings"], context["findings_pager"] = _page_of(request, context["findings"], "findings",
                                                              FINDINGS_PER_PAGE)
    _matrix(request, context)
    identity = Identity.parse(request.GET.get("identity", ""))
    if identity is not None:
        reached_by = sorted(pair for pair, count in graph.effective.items() if count and pair[1] == identity)
        reaches = sorted(pair for pair, count in graph.effective.items() if count and pair[0] == identity)
        context.update(identity=identity, reached_by=_peers(graph, reached_by), reaches=_peers(graph, reaches),
                       reached_by_more=len(reached_by) - PEERS_SHOWN, reaches_more=len(reaches) - PEERS_SHOWN)
    source = Identity.parse(request.GET.get("source", ""))
    destination = Identity.parse(request.GET.get("destination", ""))
    if source is not None and destination is not None:
        routes, pager = _page_of(request, graph.routes(source, destination), "routes", ROUTES_PER_PAGE)
        context["pair"] = {"source": source, "destination": destination, "routes": routes, "pager": pager,
                           "total": routes.paginator.count}
    identities = sorted(set(graph.sources) | set(graph.destinations))
    context.update(identities=identities if len(identities) <= PICKER_OPTIONS else None,
                   identities_total=len(identities), namespaces=visible_namespace_names(request.user,
                                                                                        context["cluster"]))
    return render(request, "web/policy.html", context)


@login_required
def access_report(request: HttpRequest, cluster: str) -> HttpResponse:
    context = _analysis(request, cluster)
    context["findings_total"] = len(context["findings"])
    context["findings"] = context["findings"][:REPORT_FINDINGS]
    _matrix(request, context)
    context["generated_at"] = timezone.now()
    return render(request, "web/policy_report.html", context)


def streamed(request: HttpRequest, chunks: Iterator[str]) -> Iterator[str] | AsyncIterator[str]:
    """`chunks` as the server streams them without collecting them first.

    Under ASGI Django would turn a plain iterator into a list (the whole export in memory):
    there it gets an async iterator producing each chunk on a worker thread instead.
    """
    if not isinstance(request, ASGIRequest):
        return chunks

    async def produce() -> AsyncIterator[str]:
        while (chunk := await sync_to_async(next, thread_sensitive=False)(chunks, None)) is not None:
            yield chunk

    return produce()


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def access_export(request: HttpRequest, cluster: str) -> HttpResponse:
    """One line per (source, destination, route): quadratic at worst, so streamed in chunks."""
    found = visible_cluster(request, cluster)
    chunks = access_csv_chunks(policy_analysis(request.user, found).graph)
    return _attachment(StreamingHttpResponse(streamed(request, chunks), content_type=CSV),
                       f"access-{found.name}.csv")


@login_required
def findings_export(request: HttpRequest, cluster: str) -> HttpResponse:
    """Findings grow linearly with the policy: one response."""
    context = _analysis(request, cluster)
    return _attachment(HttpResponse(findings_csv(context["findings"]), content_type=CSV),
                       f"findings-{context['cluster'].name}.csv")
