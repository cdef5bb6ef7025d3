"""Requests refused before any view runs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from smi_ui.api.errors import json_error


class RejectNulMiddleware:
    """No URL may carry a NUL character: PostgreSQL cannot store or compare one, so a page
    filtering on it would fail with a server error. (API bodies are checked by their parser.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            return HttpResponseBadRequest("NUL characters are not allowed in URLs.", content_type="text/plain")
        return self.get_response(request)


class ApiErrorBodyMiddleware:
    """Every error under /api/ in the API's JSON error body, whoever answered it.

    Django itself answers some failures before or around the API's views (CSRF refusals,
    bodies beyond DATA_UPLOAD_MAX_MEMORY_SIZE, bad Host headers, the NUL check above, server
    errors) as HTML or text; API clients get `{"errors": [{"path", "message", "code"}]}`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (response.status_code < 400 or not request.path_info.startswith("/api/")
                or response.get("Content-Type", "").startswith("application/json") or response.streaming):
            return response
        text = response.content.decode("utf-8", "replace").strip()
        plain = response.get("Content-Type", "").startswith("text/plain") and 0 < len(text) <= 500
        replaced = json_error(response.status_code, text if plain else response.reason_phrase)
        for header in ("WWW-Authenticate", "Retry-After", "Allow"):
            if response.has_header(header):
                replaced[header] = response[header]
        return replaced
