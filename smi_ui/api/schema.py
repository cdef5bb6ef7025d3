"""OpenAPI generation: every operation documents the project's error body for its failure codes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from .serializers import ErrorSerializer

READ_ERRORS = ("400", "401", "403", "404")
WRITE_ERRORS = (*READ_ERRORS, "409", "422", "502")


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, adding `{"errors": [...]}` responses so clients can rely on them."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        codes = READ_ERRORS if self.method in ("GET", "HEAD", "OPTIONS") else WRITE_ERRORS
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents API tokens as HTTP bearer authentication."""

    target_class = "smi_ui.accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "description": "An API token (`smiui_...`) issued at "
                                                                   "/api/access/tokens/ or by `manage.py tokens`"}
