from tests.edit_support import world_factory  # noqa: F401 - fixture
