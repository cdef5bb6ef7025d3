"""Publishing stored changes to live subscribers with a small payload.

Publishing is best effort: a channel layer that is down (Redis restarting) must never
fail or slow the sync that stored the change; pages re-read the database anyway.

The in-memory channel layer (embedded default) keeps asyncio queues that belong to the
event loop serving websockets; sync threads must hand their sends to that loop, or a
waiting consumer is never woken. `serving_loop` records it (see smi_ui.asgi).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from .groups import cluster_group, namespace_group

log = logging.getLogger(__name__)
SEND_TIMEOUT_SECONDS = 5

_serving_loop: asyncio.AbstractEventLoop | None = None


def set_serving_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Remember the loop whose consumers receive from the in-memory layer."""
    global _serving_loop
    _serving_loop = loop


def change_payload(cluster_id: int, kind: str, namespace: str, name: str, resource_version: str,
                   change: str) -> dict[str, Any]:
    return {
        "type": "object.changed",
        "cluster": cluster_id,
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "resourceVersion": resource_version,
        "change": change,
    }


def publish_change(cluster_id: int, kind: str, namespace: str, name: str, resource_version: str,
                   change: str) -> None:
    message = change_payload(cluster_id, kind, namespace, name, resource_version, change)
    publish(message, [cluster_group(cluster_id), namespace_group(cluster_id, namespace)])


def publish_resync(cluster_id: int, kind: str, namespace: str) -> None:
    """Many objects of a kind changed at once (a re-list): subscribers should re-read."""
    message = {"type": "objects.resynced", "cluster": cluster_id, "kind": kind, "namespace": namespace}
    publish(message, [cluster_group(cluster_id), namespace_group(cluster_id, namespace)])


def publish(message: dict[str, Any], groups: list[str]) -> None:
    """Send one message to several groups from synchronous code; never raises."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = _serving_loop
        if isinstance(layer, InMemoryChannelLayer) and loop is not None and loop.is_running():
            future = asyncio.run_coroutine_threadsafe(_send_all(layer, groups, message), loop)
            future.result(timeout=SEND_TIMEOUT_SECONDS)
        elif _loop_running_here():
            # async_to_sync cannot run inside a running loop: send from a thread of its own
            with ThreadPoolExecutor(1, thread_name_prefix="publish") as executor:
                executor.submit(async_to_sync(_send_all), layer, groups, message).result(timeout=SEND_TIMEOUT_SECONDS)
        else:
            async_to_sync(_send_all)(layer, groups, message)
    except Exception as error:  # the layer's own exceptions vary by backend
        log.warning("could not publish %s to %s: %s", message.get("type"), ", ".join(groups), error)


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _send_all(layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    for group in groups:
        await layer.group_send(group, message)
