"""Fixtures of the policy tests: the demo world, and the demo world while someone watches its live traffic."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from smi_ui.metrics.pollers import pollers
from tests.edit_support import World, world, world_factory  # noqa: F401 - fixtures

WATCHED = ("bookstore", "storefront")


@pytest.fixture
def watched_world(world_factory: Callable[..., World], settings) -> Iterator[World]:  # noqa: F811
    """The demo world with its traffic simulated and both namespaces watched, as an open topology does.

    The process's pollers are subscribed (what the topology's websockets do) and have
    refreshed once, so every page reads the observed edges from the pollers' cache.
    Needs `django_db(transaction=True)`: pollers read the inventory from their own threads.
    """
    settings.METRICS_POLL_SECONDS = 1
    watched = world_factory()
    watched.handle.cluster.attach_simulator()
    try:
        for namespace in WATCHED:
            pollers.subscribe(watched.cluster.pk, namespace)
        for namespace in WATCHED:
            poller = pollers.poller(watched.cluster.pk, namespace)
            assert poller is not None and poller.wait_for_refresh(0, timeout=20), f"first refresh of {namespace}"
        yield watched
    finally:
        pollers.stop_all()
