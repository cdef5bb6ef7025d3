"""Shared set-up for the edit, API, audit and access tests: a sandbox cluster, its inventory, users.

The inventory is filled by one list of every resource (what sync's first listing does),
so tests start from a known state without running watches in the background.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from rest_framework.test import APIClient

from smi_ui.accounts.models import Grant
from smi_ui.accounts.tokens import issue_token
from smi_ui.clusters.models import Cluster
from smi_ui.clusters.services import register_from_kubeconfig
from smi_ui.clusters.sync import access_for
from smi_ui.inventory.services import reconcile_listing
from smi_ui.kube.client import transport_for
from smi_ui.kube.discovery import discover_smi
from smi_ui.kube.resources import CORE_RESOURCES, smi_resource
from smi_ui.sandbox.demo import demo_objects
from smi_ui.sandbox.testing import SandboxHandle


@dataclass
class World:
    """A running sandbox cluster registered as a dashboard cluster, with its inventory imported."""

    handle: SandboxHandle
    cluster: Cluster

    def live(self, api_version: str, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        return self.handle.cluster.get(api_version, kind, name, namespace)

    def writes(self) -> list[Any]:
        """Requests that changed (or dry-ran a change to) the sandbox."""
        return [r for r in self.handle.cluster.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]

    def real_writes(self) -> list[Any]:
        return [r for r in self.writes() if r.query.get("dryRun") != "All"]

    def reimport(self) -> None:
        import_inventory(self.cluster)


def import_inventory(cluster: Cluster) -> None:
    """List every resource once into the inventory (no watches), and record what the cluster serves."""
    transport = transport_for(access_for(cluster), user_agent="tests-import")
    discovery = discover_smi(transport)
    Cluster.objects.filter(pk=cluster.pk).update(served_kinds=discovery.describe())
    cluster.refresh_from_db()
    resources = [*CORE_RESOURCES, *(smi_resource(s.info, s.preferred) for s in discovery.served.values())]
    for resource in resources:
        listing = transport.get_json(resource.path())
        items = []
        for item in listing.get("items", []):
            item.setdefault("apiVersion", resource.api_version)
            item.setdefault("kind", resource.kind)
            items.append(item)
        reconcile_listing(cluster.pk, resource.kind, items)


@pytest.fixture
def world_factory(sandbox_factory: Callable[..., SandboxHandle]) -> Callable[..., World]:
    def start(objects: list[Any] | None = None, layout: str = "smi-sdk-go", **options: Any) -> World:
        handle = sandbox_factory(layout=layout, objects=demo_objects(layout) if objects is None else objects,
                                 **options)
        (cluster,) = register_from_kubeconfig(handle.kubeconfig)
        import_inventory(cluster)
        handle.cluster.clear_requests()
        return World(handle, cluster)

    return start


@pytest.fixture
def world(world_factory: Callable[..., World]) -> World:
    """The demo world on the spec's own CRDs (split v1alpha4)."""
    return world_factory()


class _BusyServer(ThreadedWSGIServer):
    """Django's threaded test server with a listen backlog for dozens of simultaneous clients."""

    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    """The dashboard served over real HTTP on a loopback port (one thread per request); yields its URL."""
    server = _BusyServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def make_user(username: str, role: str | None = None, *, cluster: Cluster | None = None, namespace: str = "",
              **fields: Any) -> Any:
    user = get_user_model().objects.create_user(username=username, password=f"{username}-password-long", **fields)
    if role is not None:
        Grant.objects.create(user=user, role=role, cluster=cluster, namespace=namespace)
    return user


def token_client(user: Any) -> APIClient:
    """An API client authenticated by a fresh token of `user` (as automation would be)."""
    _, token = issue_token(user, "tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


SPLIT = "/api/objects/{cluster}/bookstore/trafficsplits/bookstore-canary/"
SPLIT_V4 = "split.smi-spec.io/v1alpha4"


def split_url(world: World, suffix: str = "", namespace: str = "bookstore", name: str = "bookstore-canary") -> str:
    return f"/api/objects/{world.cluster.name}/{namespace}/trafficsplits/{name}/{suffix}"


def resource_version(obj: dict[str, Any] | None) -> str:
    assert obj is not None
    return obj["metadata"]["resourceVersion"]


@pytest.fixture
def asgi_server() -> Iterator[str]:
    """The whole ASGI application (pages, API and websockets) on a loopback port, in a thread; yields its URL.

    Runs in this process so that it shares the test database and the channel layer with the test.
    """
    import asyncio

    import uvicorn

    from smi_ui.asgi import application

    config = uvicorn.Config(application, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                            ws="websockets-sansio", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=asyncio.run, args=(server.serve(),), daemon=True, name="asgi-test-server")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the ASGI test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        if thread.is_alive():
            server.force_exit = True
            thread.join(10)

