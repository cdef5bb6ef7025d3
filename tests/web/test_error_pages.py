"""Error pages: the product's page with the request id, never a bare text; the API keeps its JSON error body."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from smi_ui.accounts.roles import Role
from smi_ui.audit import context
from smi_ui.clusters.models import Cluster
from smi_ui.web.views import errors, overview
from tests.edit_support import make_user

pytestmark = pytest.mark.django_db


def test_a_server_error_is_the_products_page_with_the_request_id(monkeypatch):
    Cluster.objects.create(name="c1", api_server="https://example.invalid")

    def fail(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(overview, "cluster_findings", fail)
    client = Client(raise_request_exception=False)
    client.force_login(make_user("vic", Role.VIEWER))
    response = client.get("/", HTTP_X_REQUEST_ID="req-500-check")
    assert response.status_code == 500
    body = response.content.decode()
    assert 'data-testid="error-page"' in body and 'class="topbar"' in body and "app.css" in body
    assert '<code data-testid="request-id">req-500-check</code>' in body
    assert response["X-Request-ID"] == "req-500-check"
    assert "simulated failure" not in body and "Traceback" not in body


def test_the_error_page_itself_queries_nothing(django_assert_num_queries):
    request = RequestFactory().get("/clusters/x/policy/")
    with context.bound(request_id="abc123"), django_assert_num_queries(0):
        response = errors.server_error(request)
    assert response.status_code == 500 and b"abc123" in response.content


@pytest.mark.parametrize(("url", "status"), [("/clusters/no-such-cluster/policy/", 404),
                                              ("/no/such/page/", 404)])
def test_not_found_pages_carry_the_request_id(logged_in, url, status):
    response = logged_in("vic", Role.VIEWER).get(url)
    assert response.status_code == status
    body = response.content.decode()
    assert 'data-testid="error-page"' in body and f'data-status="{status}"' in body
    assert response["X-Request-ID"] in body


def test_forbidden_and_bad_request_pages_are_styled_too():
    request = RequestFactory().get("/somewhere/")
    with context.bound(request_id="r-4xx"):
        for handler, status in ((errors.permission_denied, 403), (errors.bad_request, 400)):
            response = handler(request, None)
            assert response.status_code == status
            assert b'data-testid="error-page"' in response.content and b"r-4xx" in response.content


def test_unknown_api_paths_answer_with_the_json_error_body(logged_in):
    response = logged_in("vic", Role.VIEWER).get("/api/no-such-endpoint/")
    assert response.status_code == 404
    (error,) = response.json()["errors"]
    assert set(error) == {"path", "message", "code"} and error["code"] == "not_found"
