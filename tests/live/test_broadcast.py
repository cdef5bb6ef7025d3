"""Publishing works from any thread, including one that is running an event loop of its own."""

from __future__ import annotations

import asyncio

from channels.layers import get_channel_layer

from smi_ui.live import broadcast
from smi_ui.live.broadcast import publish_change
from smi_ui.live.groups import namespace_group


def test_a_change_published_from_inside_a_running_loop_is_delivered(monkeypatch):
    monkeypatch.setattr(broadcast, "_serving_loop", None)  # no websocket server in this process

    async def scenario() -> dict:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(namespace_group(7, "shop"), channel)
        try:
            publish_change(7, "TrafficSplit", "shop", "canary", "42", "modified")  # sync call, loop running
            return await asyncio.wait_for(layer.receive(channel), timeout=10)
        finally:
            await layer.group_discard(namespace_group(7, "shop"), channel)

    message = asyncio.run(scenario())
    assert (message["type"], message["name"], message["resourceVersion"]) == ("object.changed", "canary", "42")
