"""Schemathesis against the OpenAPI schema, in-process, as an admin and as a viewer: no 5xx, every
response matches the schema and every error is the API's JSON error body.

Examples per operation are bounded (six per token: as many requests in all as twelve for one
token) so the whole run stays within a couple of minutes. Path parameters are pointed at real
objects half of the time, so success responses (details, edit results) are checked as well as
the errors random input provokes.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from smi_ui.accounts.roles import Role
from smi_ui.accounts.tokens import issue_token
from tests.edit_support import make_user

pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

REAL_OBJECT = {"namespace": "bookstore", "kind": "trafficsplits", "name": "bookstore-canary"}


@pytest.fixture(params=[Role.ADMIN, Role.VIEWER])
def token(request, world):
    """A token of an admin (every write is tried for real) or of a viewer (every write is refused)."""
    _, token = issue_token(make_user(f"fuzz-{request.param}", request.param), "fuzz")
    return world, token


@schemathesis.check
def json_error_body(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                    case: schemathesis.Case) -> bool | None:
    """Every 4xx/5xx answers `{"errors": [{"path", "message", "code"}, ...]}` as JSON."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith("application/json"), f"{response.status_code} answered as {content_type}"
    errors = json.loads(response.content).get("errors")
    assert isinstance(errors, list) and errors, f"no errors list in {response.content[:200]!r}"
    for error in errors:
        assert isinstance(error, dict) and {"path", "message", "code"} <= set(error), error
        assert isinstance(error["path"], str) and isinstance(error["message"], str) and error["message"], error
    return None


@pytest.fixture(autouse=True)
def keep_test_connection():
    """In-process requests must not close the test's database connection (as Django's test client ensures)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_answers_every_generated_request_within_its_schema(case, token):
    world, token = token
    parameters = case.path_parameters or {}
    if "cluster" in parameters:
        parameters["cluster"] = world.cluster.name
        if len(str(parameters.get("name", ""))) % 2 == 0:  # half the time, a real object
            parameters.update({key: value for key, value in REAL_OBJECT.items() if key in parameters})
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error, response_schema_conformance, json_error_body])
