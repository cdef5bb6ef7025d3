"""A demo world whose sandbox simulates traffic, registered as a dashboard cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.edit_support import World, world_factory  # noqa: F401 - fixture


@pytest.fixture
def traffic_world(world_factory: Callable[..., World]) -> World:  # noqa: F811
    """The demo world with the demo flows simulated (access control on)."""
    world = world_factory()
    world.handle.cluster.attach_simulator()
    return world


def edge(metrics: Any, source: str, destination: str, namespace: str = "bookstore") -> Any:
    from smi_ui.metrics.figures import EdgeKey

    return metrics.edges.get(EdgeKey(namespace, source, namespace, destination))
