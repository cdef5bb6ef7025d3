"""Publishing stored changes to live subscribers with a small payload.

Publishing is best effort: a channel layer that is down (Redis restarting) must never
fail or slow the sync that stored the change; pages re-read the database anyway.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .groups import cluster_group, namespace_group

log = logging.getLogger(__name__)


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
    layer = get_channel_layer()
    if layer is None:
        return
    message = change_payload(cluster_id, kind, namespace, name, resource_version, change)
    try:
        async_to_sync(_send_both)(layer, cluster_id, namespace, message)
    except Exception as error:  # the layer's own exceptions vary by backend
        log.warning("could not publish change of %s %s/%s: %s", kind, namespace, name, error)


async def _send_both(layer: Any, cluster_id: int, namespace: str, message: dict[str, Any]) -> None:
    await layer.group_send(cluster_group(cluster_id), message)
    await layer.group_send(namespace_group(cluster_id, namespace), message)
