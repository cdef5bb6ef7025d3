"""The access policy pages: matrix, who-can-reach / what-can-X-reach, findings, exports, printable report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from smi_ui.policy.exports import access_csv, findings_csv
from smi_ui.policy.findings import policy_findings
from smi_ui.policy.graph import access_graph
from smi_ui.policy.inputs import Identity
from smi_ui.policy.matrix import access_matrix
from smi_ui.policy.selectors import access_control_on, observed_traffic_for, policy_input

from .common import visible_cluster, visible_namespace_names


def _analysis(request: HttpRequest, cluster_name: str) -> dict:
    cluster = visible_cluster(request, cluster_name)
    policy = policy_input(request.user, cluster)
    graph = access_graph(policy)
    namespace = request.GET.get("namespace", "")
    findings = [f for f in policy_findings(policy, observed_traffic_for(request.user, cluster),
                                           access_control=access_control_on(cluster.name))
                if not namespace or f.namespace == namespace]
    return {"cluster": cluster, "graph": graph, "findings": findings, "namespace": namespace,
            "namespaces": visible_namespace_names(request.user, cluster),
            "matrix": access_matrix(graph, namespace)}


@login_required
def access_policy(request: HttpRequest, cluster: str) -> HttpResponse:
    context = _analysis(request, cluster)
    graph = context["graph"]
    identity = Identity.parse(request.GET.get("identity", ""))
    if identity is not None:
        context.update(identity=identity, reached_by=graph.who_can_reach(identity),
                       reaches=graph.reachable_from(identity))
    context["identities"] = sorted(set(graph.sources) | set(graph.destinations))
    return render(request, "web/policy.html", context)


@login_required
def access_report(request: HttpRequest, cluster: str) -> HttpResponse:
    context = _analysis(request, cluster)
    context["generated_at"] = timezone.now()
    return render(request, "web/policy_report.html", context)


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def access_export(request: HttpRequest, cluster: str) -> HttpResponse:
    context = _analysis(request, cluster)
    return _csv_response(access_csv(context["graph"]), f"access-{context['cluster'].name}.csv")


@login_required
def findings_export(request: HttpRequest, cluster: str) -> HttpResponse:
    context = _analysis(request, cluster)
    return _csv_response(findings_csv(context["findings"]), f"findings-{context['cluster'].name}.csv")
