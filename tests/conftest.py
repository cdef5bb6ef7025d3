"""Fixtures shared by every test package."""

from collections.abc import Iterator

import pytest

pytest_plugins = ["smi_ui.sandbox.testing"]


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache: throttle counts and cached analyses never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
