from tests.edit_support import world, world_factory  # noqa: F401 - fixtures
