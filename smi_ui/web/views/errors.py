"""Error pages (400, 403, 404, 500) in the product's style, each naming the request id.

They render without the request: no context processor runs, so the page needs neither the
session, the user nor the database (a 500 may be the database failing). The request id
comes from the request context the middleware bound (smi_ui.audit.context), the same id the
`X-Request-ID` header, the logs and the audit entries carry. API paths answer with the
API's JSON error body instead.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from smi_ui.audit import context

API_PREFIX = "/api/"

PAGES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Bad request", "The request could not be understood: check the address and try again."),
    403: ("permission_denied", "Not allowed", "Your account may not open this page. Ask an admin for a grant if "
          "you need it."),
    404: ("not_found", "Not found", "Nothing is here, or you may not see it."),
    500: ("server_error", "Something went wrong", "The dashboard failed to answer this request. It has been "
          "logged; if it keeps happening, report it with the request id below."),
}


def error_response(request: HttpRequest, status: int) -> HttpResponse:
    """The error answer for `status`: the JSON error body under /api/, else the product's error page."""
    code, title, message = PAGES[status]
    request_id = context.current().request_id
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse(
            {"errors": [{"path": "", "message": f"{title}.", "code": code}]}, status=status)
    else:
        page = loader.get_template(f"{status}.html").render(
            {"status": status, "title": title, "message": message, "request_id": request_id,
             "path": request.path})
        response = HttpResponse(page, status=status)
    if request_id:
        response["X-Request-ID"] = request_id
    return response


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_response(request, 403)


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, 500)
