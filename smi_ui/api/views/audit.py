"""The audit log: list, detail and exports (CSV, JSON Lines), limited to the reader's scopes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.filters import OrderingFilter
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from smi_ui.accounts.permissions import visible_q
from smi_ui.accounts.roles import Action
from smi_ui.audit.exports import csv_lines, jsonl_lines
from smi_ui.audit.filtersets import AuditEntryFilterSet
from smi_ui.audit.models import AuditEntry

from ..filtersets import filtered
from ..permissions import CanReadAudit
from ..serializers import AuditEntrySerializer
from .base import ApiView


def visible_entries(user: Any) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(visible_q(user, Action.AUDIT))


class AuditList(ApiView, ListAPIView):
    """Audit entries in your scopes, newest first; filter by actor, cluster, object, outcome, time."""

    serializer_class = AuditEntrySerializer
    permission_classes = [CanReadAudit]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = AuditEntryFilterSet
    ordering_fields = ["sequence", "created_at"]
    ordering = ["-sequence"]

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return visible_entries(self.request.user)


class AuditDetail(ApiView, RetrieveAPIView):
    serializer_class = AuditEntrySerializer
    permission_classes = [CanReadAudit]

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return visible_entries(self.request.user)


class _TextRenderer(BaseRenderer):
    """Lets content negotiation accept the export's media type; errors are still JSON text."""

    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return JSONRenderer().render(data, accepted_media_type, renderer_context)


class CsvRenderer(_TextRenderer):
    media_type = "text/csv"
    format = "csv"


class JsonLinesRenderer(_TextRenderer):
    media_type = "application/jsonl"
    format = "jsonl"


class AuditExport(ApiView):
    """Base of the exports: the same filters as the list, oldest first, streamed."""

    permission_classes = [CanReadAudit]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEntryFilterSet
    media_type = ""
    suffix = ""

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return visible_entries(self.request.user)

    def stream(self, request: Request, lines: Any) -> StreamingHttpResponse:
        entries = filtered(AuditEntryFilterSet, request.query_params, self.get_queryset()).order_by("sequence")
        response = StreamingHttpResponse(lines(entries.iterator(chunk_size=500)),
                                         content_type=f"{self.media_type}; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="smi-ui-audit-{stamp}.{self.suffix}"'
        return response


class AuditExportCsv(AuditExport):
    renderer_classes = [JSONRenderer, CsvRenderer]
    media_type = "text/csv"
    suffix = "csv"

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR,
                                                                 description="a header row, then one row per entry")})
    def get(self, request: Request) -> StreamingHttpResponse:
        return self.stream(request, csv_lines)


class AuditExportJsonLines(AuditExport):
    renderer_classes = [JSONRenderer, JsonLinesRenderer]
    media_type = "application/jsonl"
    suffix = "jsonl"

    @extend_schema(responses={(200, "application/jsonl"): OpenApiResponse(OpenApiTypes.STR,
                                                                          description="one JSON object per line")})
    def get(self, request: Request) -> StreamingHttpResponse:
        return self.stream(request, jsonl_lines)
