from tests.edit_support import world_factory  # noqa: F401 - fixture
from tests.metrics.conftest import traffic_world  # noqa: F401 - fixture
