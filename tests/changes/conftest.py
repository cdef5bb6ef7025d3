from tests.edit_support import http_server, world, world_factory  # noqa: F401 - fixtures
