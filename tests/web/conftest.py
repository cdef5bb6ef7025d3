"""Fixtures of the page tests: the demo world, and a test client logged in with a given role."""

import pytest

from tests.edit_support import make_user, world, world_factory  # noqa: F401 - fixtures


@pytest.fixture
def logged_in(client):
    """log_in(username, role=None, **grant) -> the client, logged in as a new user with that grant."""
    def log_in(username, role=None, **grant):
        client.force_login(make_user(username, role, **grant))
        return client
    return log_in
