"""Websocket consumers: live metrics and object changes of a namespace, or of one object in it.

Every connection is authorised before it joins any group: the Django session must carry an
active user (anonymous: close 4401) who may view the namespace (smi_ui.accounts.permissions;
otherwise close 4403), and the namespace must be one the cluster has (close 4404; no poller
starts for names made up by a client). Refusals accept the handshake and close at once with
that code, since a handshake rejected with HTTP 403 reaches browsers only as code 1006, which
they cannot tell from an outage and would retry forever. The decision is taken again every
LIVE_REAUTHORIZE_SECONDS (a revoked grant, a deactivated user or a logged-out session closes
the connection within one and a half intervals), and the groups are joined again, which
recovers memberships a restarted Redis lost. Edges to namespaces the user may not see are
left out of every message. Origins (scheme, host and port) are checked by the ASGI stack
(smi_ui.live.origins). Each client
has its own channel, so a slow client's full queue drops its own messages and nobody else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model

from smi_ui.accounts.permissions import may, visible_namespaces_q
from smi_ui.accounts.roles import Action
from smi_ui.inventory.models import KubeObject
from smi_ui.metrics.deltas import delta_for_object, without_hidden_edges
from smi_ui.metrics.pollers import pollers
from smi_ui.ops.metrics import WEBSOCKET_CONNECTIONS

from .groups import metrics_group, namespace_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
NAMESPACE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # a DNS-1123 label
#: Channel-layer messages whose handlers below use no database.
BROADCASTS = frozenset({"metrics.delta", "object.changed", "objects.resynced"})


@database_sync_to_async
def _decide(user_id: int, session: Any, cluster_id: int, namespace: str) -> tuple[int | None, frozenset[str] | None]:
    """(close code or None to go on, the namespaces whose edges the user may see; None = all).

    Reads the user and the session afresh, so grants and logouts since the last decision count.
    """
    if session is not None and session.session_key and not session.exists(session.session_key):
        return CLOSE_UNAUTHENTICATED, None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return CLOSE_UNAUTHENTICATED, None
    if not may(user, Action.VIEW, cluster_id=cluster_id, namespace=namespace):
        return CLOSE_FORBIDDEN, None
    namespaces = KubeObject.objects.filter(cluster_id=cluster_id, kind="Namespace")
    if not namespaces.filter(name=namespace).exists():
        return CLOSE_NOT_FOUND, None
    if may(user, Action.VIEW, cluster_id=cluster_id, namespace=""):
        return None, None  # sees every namespace of this cluster
    return None, frozenset(namespaces.filter(visible_namespaces_q(user)).values_list("name", flat=True))


_decisions: dict[tuple[int, str, int, str], tuple[float, tuple[int | None, frozenset[str] | None]]] = {}


async def _recent_decision(user_id: int, session: Any, cluster_id: int, namespace: str, *,
                           max_age: float) -> tuple[int | None, frozenset[str] | None]:
    """`_decide`, shared for `max_age` seconds by the connections of one session to one namespace
    (a user's tabs, a dashboard on a wall screen): re-deciding costs several queries."""
    key = (user_id, getattr(session, "session_key", None) or "", cluster_id, namespace)
    now = time.monotonic()
    cached = _decisions.get(key)
    if cached is not None and now - cached[0] < max_age:
        return cached[1]
    decision = await _decide(user_id, session, cluster_id, namespace)
    if len(_decisions) > 10_000:
        for stale in [k for k, (at, _) in _decisions.items() if now - at >= max_age]:
            _decisions.pop(stale, None)
    _decisions[key] = (now, decision)
    return decision


class LiveNamespaceConsumer(AsyncJsonWebsocketConsumer):
    """Pushes `metrics.delta`, `object.changed` and `objects.resynced` messages of one namespace.

    With `kind` and `name` in the route, only what concerns that object is sent (its figures
    and edges when it is a workload, its own changes).
    """

    cluster_id: int
    namespace: str
    kind: str | None
    name: str | None
    subscribed = False
    visible_namespaces: frozenset[str] | None = None
    _reauthorizing: asyncio.Task | None = None

    async def connect(self) -> None:
        route = self.scope["url_route"]["kwargs"]
        self.cluster_id = int(route["cluster_id"])
        self.namespace = route["namespace"]
        self.kind, self.name = route.get("kind"), route.get("name")
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        if not NAMESPACE_NAME.match(self.namespace):
            await self._refuse(CLOSE_NOT_FOUND)
            return
        refusal, self.visible_namespaces = await _decide(user.pk, self.scope.get("session"), self.cluster_id,
                                                         self.namespace)
        if refusal is not None:
            await self._refuse(refusal)
            return
        for group in self._groups():
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.subscribed = True
        WEBSOCKET_CONNECTIONS.inc()
        await self.send_json({"type": "subscribed", "cluster": self.cluster_id, "namespace": self.namespace,
                              "kind": self.kind, "name": self.name})
        self._reauthorizing = asyncio.create_task(self._keep_subscription(user.pk))
        latest = await sync_to_async(pollers.subscribe, thread_sensitive=False)(self.cluster_id, self.namespace)
        if latest is not None:
            await self.metrics_delta({"type": "metrics.delta", "cluster": self.cluster_id, **latest, "full": True})

    async def disconnect(self, code: int) -> None:
        if not self.subscribed:
            return
        self.subscribed = False
        WEBSOCKET_CONNECTIONS.dec()
        if self._reauthorizing is not None and self._reauthorizing is not asyncio.current_task():
            self._reauthorizing.cancel()
        for group in self._groups():
            await self.channel_layer.group_discard(group, self.channel_name)
        await sync_to_async(pollers.unsubscribe, thread_sensitive=False)(self.cluster_id, self.namespace)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Hand broadcasts straight to their handler, without Channels' per-message database clean-up.

        Channels closes stale database connections before every handler with a hop to the one
        shared sync thread. A namespace broadcast reaches every client's consumer at once, so with
        a thousand clients those hops queue in that thread and delay delivery by hundreds of
        milliseconds, although the broadcast handlers never touch the database.
        """
        if message.get("type") in BROADCASTS:
            await getattr(self, get_handler_name(message))(message)
            return
        await super().dispatch(message)

    async def _keep_subscription(self, user_id: int) -> None:
        """Now and then: take the connect decision again (close when it no longer holds) and join
        the groups again, since the channel layer forgets memberships when Redis restarts (and
        after its group expiry), which would leave a connected client silently receiving nothing."""
        interval = float(getattr(settings, "LIVE_REAUTHORIZE_SECONDS", 30.0))
        # A random first wait spreads the decisions of clients that connected together (every
        # browser reconnects at once after a restart) over the interval: taken in step, a thousand
        # decisions hold up the broadcasts to every client of the process for about a second.
        delay = random.uniform(0, interval)
        while self.subscribed:
            await asyncio.sleep(delay)
            delay = interval
            with contextlib.suppress(Exception):  # a database or Redis blip keeps the connection: next round
                refusal, self.visible_namespaces = await _recent_decision(
                    user_id, self.scope.get("session"), self.cluster_id, self.namespace, max_age=interval / 2)
                if refusal is not None:
                    await self.close(code=refusal)
                    return
                for group in self._groups():
                    await self.channel_layer.group_add(group, self.channel_name)

    async def _refuse(self, code: int) -> None:
        await self.accept()
        await self.close(code=code)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only listen; anything they send is ignored."""

    def _groups(self) -> list[str]:
        return [namespace_group(self.cluster_id, self.namespace), metrics_group(self.cluster_id, self.namespace)]

    # ---- channel-layer messages ------------------------------------------------------------

    async def metrics_delta(self, event: dict[str, Any]) -> None:
        if self.visible_namespaces is not None:
            event = without_hidden_edges(event, self.visible_namespaces)
        if self.name is not None:
            event = delta_for_object(event, self.namespace, self.name)
            if event is None:
                return
        await self.send_json(event)

    async def object_changed(self, event: dict[str, Any]) -> None:
        if self.name is not None and (event.get("kind"), event.get("name")) != (self.kind, self.name):
            return
        await self.send_json(event)

    async def objects_resynced(self, event: dict[str, Any]) -> None:
        if self.kind is not None and event.get("kind") != self.kind:
            return
        await self.send_json(event)
