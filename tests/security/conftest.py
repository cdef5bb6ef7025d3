"""Fixtures of the attack tests: a sandbox cluster with the demo mesh, imported."""

from tests.edit_support import world, world_factory  # noqa: F401 - fixtures
