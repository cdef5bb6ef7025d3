"""The API's front door: what it offers and where its documentation is."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from .base import ApiView

#: The collections a client starts from (every other endpoint hangs below one of them).
ENTRY_POINTS = {
    "clusters": "api:cluster-list",
    "namespaces": "api:namespace-list",
    "services": "api:service-list",
    "objects": "api:object-list",
    "audit": "api:audit-list",
    "grants": "api:grant-list",
    "tokens": "api:token-list",
    "me": "api:me",
    "schema": "api:schema",
    "docs": "api:docs",
}


class ApiRoot(ApiView):
    """Links to the API's collections, its OpenAPI schema and its interactive docs."""

    @extend_schema(responses=inline_serializer("ApiRoot", {name: serializers.URLField() for name in ENTRY_POINTS}))
    def get(self, request: Request) -> Response:
        return Response({name: reverse(route, request=request) for name, route in ENTRY_POINTS.items()})
