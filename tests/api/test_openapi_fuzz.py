"""Schemathesis against the OpenAPI schema, in-process: no 5xx, and every response matches the schema.

Examples per operation are bounded so the whole run stays well under 90 seconds. Path
parameters are pointed at real objects half of the time, so success responses (details,
edit results) are checked as well as the errors random input provokes.
"""

from __future__ import annotations

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


@pytest.fixture
def admin_token(world):
    _, token = issue_token(make_user("ada", Role.ADMIN), "fuzz")
    return world, token


@pytest.fixture(autouse=True)
def keep_test_connection():
    """In-process requests must not close the test's database connection (as Django's test client ensures)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_answers_every_generated_request_within_its_schema(case, admin_token):
    world, token = admin_token
    parameters = case.path_parameters or {}
    if "cluster" in parameters:
        parameters["cluster"] = world.cluster.name
        if len(str(parameters.get("name", ""))) % 2 == 0:  # half the time, a real object
            parameters.update({key: value for key, value in REAL_OBJECT.items() if key in parameters})
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error, response_schema_conformance])
