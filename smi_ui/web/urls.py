from django.urls import path, register_converter

from .converters import WeightedPluralConverter
from .views import audit, audit_entry, clusters, edit, objects, overview, policy, splits, topology

app_name = "web"
register_converter(WeightedPluralConverter, "weighted")

CLUSTER = "clusters/<slug:cluster>/"
OBJECT = CLUSTER + "objects/<str:namespace>/"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("audit/", audit.audit_log, name="audit"),
    path("audit/<int:sequence>/", audit_entry.audit_entry, name="audit-entry"),
    path("clusters/", clusters.cluster_list, name="clusters"),
    path(CLUSTER, clusters.cluster_detail, name="cluster"),
    path(CLUSTER + "policy/", policy.access_policy, name="policy"),
    path(CLUSTER + "policy/access.csv", policy.access_export, name="policy-access-csv"),
    path(CLUSTER + "policy/findings.csv", policy.findings_export, name="policy-findings-csv"),
    path(CLUSTER + "policy/report/", policy.access_report, name="policy-report"),
    path(CLUSTER + "topology/", topology.topology_page, name="topology"),
    path(CLUSTER + "topology.json", topology.topology_json, name="topology-json"),
    path(CLUSTER + "objects/", objects.object_list, name="objects"),
    path(OBJECT + "<weighted:plural>/<str:name>/weights/", splits.split_page, name="split"),
    path(OBJECT + "<weighted:plural>/<str:name>/weights/history.json", splits.split_history,
         name="split-history"),
    path(CLUSTER + "references.json", edit.reference_check, name="references"),
    path(CLUSTER + "new/<str:kind>/", edit.new_form, name="object-new"),
    path(CLUSTER + "new/<str:kind>/yaml/", edit.new_yaml, name="object-new-yaml"),
    path(OBJECT + "<str:kind>/<str:name>/edit/", edit.object_form, name="object-edit"),
    path(OBJECT + "<str:kind>/<str:name>/yaml/", edit.object_yaml, name="object-yaml"),
    path(OBJECT + "<str:kind>/<str:name>/", objects.object_detail, name="object"),
]
