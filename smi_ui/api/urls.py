"""Routes of the REST API (mounted at /api/) and its OpenAPI schema and docs."""

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView

from .views import access, audit, inventory, objects, root
from .views.base import not_found
from .views.docs import ApiDocs


class RowIdConverter:
    """Database ids: digits that fit a 64-bit column (a longer number is simply not found)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "rowid")

OBJECT = "objects/<str:cluster>/<str:namespace>/<str:kind>/<str:name>/"

app_name = "api"

urlpatterns = [
    path("", root.ApiRoot.as_view(), name="root"),
    path("clusters/", inventory.ClusterList.as_view(), name="cluster-list"),
    path("clusters/<str:name>/", inventory.ClusterDetail.as_view(), name="cluster-detail"),
    path("namespaces/", inventory.NamespaceList.as_view(), name="namespace-list"),
    path("services/", inventory.ServiceList.as_view(), name="service-list"),
    path("objects/", objects.ObjectList.as_view(), name="object-list"),
    path(OBJECT, objects.ObjectDetail.as_view(), name="object-detail"),
    path(OBJECT + "revisions/", objects.ObjectRevisions.as_view(), name="object-revisions"),
    path(OBJECT + "revert/", objects.ObjectRevert.as_view(), name="object-revert"),
    path(OBJECT + "weights/", objects.SplitWeights.as_view(), name="split-weights"),
    path(OBJECT + "weights/plan/", objects.WeightsPlan.as_view(), name="weights-plan"),
    path(OBJECT + "backends/", objects.SplitBackendAdd.as_view(), name="split-backend-add"),
    path(OBJECT + "backends/remove/", objects.SplitBackendRemove.as_view(), name="split-backend-remove"),
    path("audit/", audit.AuditList.as_view(), name="audit-list"),
    path("audit/export/csv/", audit.AuditExportCsv.as_view(), name="audit-export-csv"),
    path("audit/export/jsonl/", audit.AuditExportJsonLines.as_view(), name="audit-export-jsonl"),
    path("audit/<rowid:pk>/", audit.AuditDetail.as_view(), name="audit-detail"),
    path("access/grants/", access.GrantList.as_view(), name="grant-list"),
    path("access/grants/<rowid:pk>/", access.GrantDetail.as_view(), name="grant-detail"),
    path("access/tokens/", access.TokenList.as_view(), name="token-list"),
    path("access/tokens/<rowid:pk>/", access.TokenDetail.as_view(), name="token-detail"),
    path("me/", access.Me.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocs.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^.*$", not_found, name="not-found"),  # JSON, not the site's HTML 404
]
