"""What every API view shares: pagination, attribution of the request, refusal of NUL bytes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request

from smi_ui.accounts.models import ApiToken
from smi_ui.audit import context
from smi_ui.audit.models import Source
from smi_ui.changes.actors import Actor

from ..errors import json_error
from ..pagination import ApiPagination


def request_source(request: Request) -> str:
    return Source.API if isinstance(request.auth, ApiToken) else Source.DASHBOARD


class ApiView(GenericAPIView):
    """Base of the API's views: binds the authenticated user to the audit context."""

    pagination_class = ApiPagination
    metadata_class = None  # no OPTIONS introspection: the OpenAPI schema documents every endpoint

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if any("\x00" in str(value) for value in kwargs.values()):
            raise Http404("no such object")
        super().initial(request, *args, **kwargs)
        bad = sorted(key for key, values in request.query_params.lists()
                     if "\x00" in key or any("\x00" in value for value in values))
        if bad:
            raise ValidationError({key.replace("\x00", "\\0"): ["must not contain NUL characters"] for key in bad})
        context.bind_user(request.user, source=request_source(request))

    def actor(self) -> Actor:
        """The edit's author; writes impersonate them when WRITE_AS_DASHBOARD_USER is on."""
        return Actor.for_user(self.request.user, source=request_source(self.request),
                              impersonate=bool(getattr(settings, "WRITE_AS_DASHBOARD_USER", False)))


@csrf_exempt  # nothing to protect; a token client's POST to a wrong path learns it is wrong, not "CSRF"
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ answer in the API's error body."""
    return json_error(404, "no such API endpoint", "not_found")
