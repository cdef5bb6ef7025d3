"""Websocket consumers: only an authorised, same-origin, signed-in user receives a namespace's live data."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import SyncToAsync
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from smi_ui.asgi import application
from smi_ui.changes.actors import Actor
from smi_ui.changes.services import set_split_weights
from smi_ui.metrics.pollers import pollers
from smi_ui.ops.metrics import WEBSOCKET_CONNECTIONS
from tests.edit_support import make_user
from tests.loops import on_fresh_loop

pytestmark = pytest.mark.django_db(transaction=True)

SAME_ORIGIN = (b"origin", b"http://127.0.0.1:8000")
CANARY_EDGE = "bookstore/bookbuyer->bookstore/bookstore-v2"




@pytest.fixture(autouse=True)
def fast_polling(settings):
    settings.METRICS_POLL_SECONDS = 1
    yield
    pollers.stop_all()
    # Database work done for async code ran in asgiref's shared thread: close its connection there.
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(10)


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def communicator(world, headers, namespace: str = "bookstore", suffix: str = "") -> WebsocketCommunicator:
    path = f"/ws/live/clusters/{world.cluster.pk}/namespaces/{namespace}/{suffix}"
    return WebsocketCommunicator(application, path, headers=[(b"host", b"127.0.0.1:8000"), *headers])


@pytest.fixture
def viewer(traffic_world):
    """The session cookie of a viewer of bookstore only."""
    return session_cookie(make_user("viewer", "viewer", cluster=traffic_world.cluster, namespace="bookstore"))


async def receive_until(connection: WebsocketCommunicator, condition, timeout: float = 10) -> dict:
    while True:
        message = await connection.receive_json_from(timeout=timeout)
        if condition(message):
            return message


@on_fresh_loop
async def test_authorised_client_receives_figures_then_deltas(traffic_world, viewer):
    connection = communicator(traffic_world, [SAME_ORIGIN, viewer])
    connected, _ = await connection.connect()
    assert connected
    full = await receive_until(connection, lambda m: m["type"] == "metrics.delta" and m["full"])
    assert full["edges"][CANARY_EDGE]["rps"] == pytest.approx(4.0)
    operator = await _make_operator(traffic_world)
    await _set_weights(traffic_world, operator, 50)
    seen: list[float] = []  # the window moves to the new rate over its length: only rising values on the way

    def settled(message: dict) -> bool:
        figures = message["edges"].get(CANARY_EDGE) if message["type"] == "metrics.delta" else None
        if figures:
            seen.append(figures["rps"])
        return bool(figures) and figures["rps"] == pytest.approx(10.0)

    delta = await receive_until(connection, settled)
    assert not delta["full"] and seen == sorted(seen) and all(4.0 <= rps <= 10.0 for rps in seen)
    assert "bookstore/bookbuyer->bookstore/bookstore-v1" in delta["edges"]
    assert "bookstore/bookwarehouse->bookstore/mysql" not in delta["edges"]  # unchanged edges are not resent
    await connection.disconnect()


@on_fresh_loop
async def test_object_subscription_receives_only_that_workload(traffic_world, viewer):
    connection = communicator(traffic_world, [SAME_ORIGIN, viewer],
                              suffix="Deployment/bookwarehouse/")
    connected, _ = await connection.connect()
    assert connected
    full = await receive_until(connection, lambda m: m["type"] == "metrics.delta")
    assert set(full["resources"]) == {"bookwarehouse"}
    assert all("bookstore/bookwarehouse" in key for key in full["edges"]) and full["edges"]
    open_connections = WEBSOCKET_CONNECTIONS._value.get()
    assert open_connections >= 1
    await connection.disconnect()
    assert WEBSOCKET_CONNECTIONS._value.get() == open_connections - 1


async def refusal_code(connection: WebsocketCommunicator) -> int:
    """The close code a refused client sees: accepted, then closed at once, nothing sent."""
    connected, _ = await connection.connect()
    assert connected
    closing = await connection.receive_output(timeout=5)
    assert closing["type"] == "websocket.close", closing
    return closing["code"]


@on_fresh_loop
async def test_client_without_a_grant_for_the_namespace_is_refused(traffic_world, viewer):
    connection = communicator(traffic_world, [SAME_ORIGIN, viewer], namespace="storefront")
    assert await refusal_code(connection) == 4403
    assert pollers.watched() == {}  # refused clients start no polling


@on_fresh_loop
async def test_anonymous_client_is_refused(traffic_world):
    assert await refusal_code(communicator(traffic_world, [SAME_ORIGIN])) == 4401


@on_fresh_loop
async def test_cross_origin_client_is_refused(traffic_world, viewer):
    connection = communicator(traffic_world, [(b"origin", b"http://evil.example"), viewer])
    connected, _ = await connection.connect()
    assert not connected


@on_fresh_loop
async def test_object_changes_reach_namespace_subscribers(traffic_world, viewer):
    connection = communicator(traffic_world, [SAME_ORIGIN, viewer])
    connected, _ = await connection.connect()
    assert connected
    from channels.layers import get_channel_layer

    from smi_ui.live.broadcast import change_payload
    from smi_ui.live.groups import namespace_group

    message = change_payload(traffic_world.cluster.pk, "TrafficSplit", "bookstore", "bookstore-canary", "7",
                             "modified")
    await get_channel_layer().group_send(namespace_group(traffic_world.cluster.pk, "bookstore"), message)
    received = await receive_until(connection, lambda m: m["type"] == "object.changed")
    assert received["name"] == "bookstore-canary"
    await connection.disconnect()


async def _make_operator(world):
    from asgiref.sync import sync_to_async

    return await sync_to_async(make_user)("operator", "operator")


async def _set_weights(world, operator, canary_percent: int) -> None:
    from asgiref.sync import sync_to_async

    def write() -> None:
        split = world.live("split.smi-spec.io/v1alpha4", "TrafficSplit", "bookstore-canary", "bookstore")
        set_split_weights(Actor.for_user(operator), world.cluster, "bookstore", "bookstore-canary",
                          {"bookstore-v1": 100 - canary_percent, "bookstore-v2": canary_percent},
                          base_resource_version=split["metadata"]["resourceVersion"])

    await sync_to_async(write)()


async def close_code(connection: WebsocketCommunicator, timeout: float = 10) -> int:
    """Skip data messages until the server closes the connection; its close code."""
    while True:
        output = await connection.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output["code"]


@on_fresh_loop
async def test_made_up_or_malformed_namespaces_are_refused_without_polling(traffic_world, settings):
    from asgiref.sync import sync_to_async

    admin = await sync_to_async(make_user)("root", "viewer")  # a viewer of every cluster and namespace
    cookie = await sync_to_async(session_cookie)(admin)
    for namespace in ("no-such-namespace", "Bad_Name", "x" * 64):
        assert await refusal_code(communicator(traffic_world, [SAME_ORIGIN, cookie], namespace=namespace)) == 4404
    assert pollers.watched() == {}


@on_fresh_loop
async def test_a_revoked_grant_closes_the_connection(traffic_world, viewer, settings):
    from asgiref.sync import sync_to_async

    from smi_ui.accounts.models import Grant

    settings.LIVE_REAUTHORIZE_SECONDS = 0.2
    connection = communicator(traffic_world, [SAME_ORIGIN, viewer])
    connected, _ = await connection.connect()
    assert connected
    await receive_until(connection, lambda m: m["type"] == "subscribed")
    await sync_to_async(Grant.objects.filter(user__username="viewer").delete)()
    assert await close_code(connection) == 4403


@on_fresh_loop
async def test_logging_out_closes_the_connection(traffic_world, viewer, settings):
    from asgiref.sync import sync_to_async
    from django.contrib.sessions.models import Session

    settings.LIVE_REAUTHORIZE_SECONDS = 0.2
    connection = communicator(traffic_world, [SAME_ORIGIN, viewer])
    connected, _ = await connection.connect()
    assert connected
    await receive_until(connection, lambda m: m["type"] == "subscribed")
    session_key = viewer[1].decode().split("=", 1)[1]
    await sync_to_async(Session.objects.filter(session_key=session_key).delete)()  # what logout does
    assert await close_code(connection) == 4401


def test_edges_into_hidden_namespaces_are_left_out():
    from smi_ui.metrics.deltas import without_hidden_edges

    delta = {"type": "metrics.delta", "edges": {"shop/web->shop/db": {"rps": 1},
                                                "shop/web->payments/ledger": {"rps": 2},
                                                "secops/scan->shop/web": {"rps": 3}}}
    assert without_hidden_edges(delta, frozenset({"shop"}))["edges"] == {"shop/web->shop/db": {"rps": 1}}
    assert without_hidden_edges(delta, frozenset({"shop", "payments", "secops"})) is delta


@on_fresh_loop
async def test_memberships_lost_by_the_channel_layer_are_restored(traffic_world, viewer, settings):
    """A restarted Redis forgets every group; connected clients must not go silently deaf."""
    from asgiref.sync import sync_to_async
    from channels.layers import InMemoryChannelLayer, get_channel_layer

    from smi_ui.live.broadcast import publish_change
    from smi_ui.live.groups import namespace_group

    settings.LIVE_REAUTHORIZE_SECONDS = 0.2
    connection = communicator(traffic_world, [SAME_ORIGIN, viewer])
    connected, _ = await connection.connect()
    assert connected
    await receive_until(connection, lambda m: m["type"] == "subscribed")
    layer = get_channel_layer()
    group = namespace_group(traffic_world.cluster.pk, "bookstore")
    if isinstance(layer, InMemoryChannelLayer):
        layer.groups.clear()  # what a Redis restart does to the groups, without touching the channels

        async def members() -> set:
            return set(layer.groups.get(group, {}))
    else:
        async with layer.connection(layer.consistent_hash(group)) as redis:
            await redis.delete(layer._group_key(group))

        async def members() -> set:
            async with layer.connection(layer.consistent_hash(group)) as redis:
                return {member.decode() for member in await redis.zrange(layer._group_key(group), 0, -1)}
    assert await members() == set()
    deadline = asyncio.get_running_loop().time() + 10
    while not await members():  # the consumer joins again within its interval
        assert asyncio.get_running_loop().time() < deadline, "the consumer never joined its group again"
        await asyncio.sleep(0.05)
    await sync_to_async(publish_change, thread_sensitive=False)(
        traffic_world.cluster.pk, "TrafficSplit", "bookstore", "bookstore-canary", "77", "modified")
    message = await receive_until(connection, lambda m: m["type"] == "object.changed")
    assert message["resourceVersion"] == "77"
    await connection.disconnect()
