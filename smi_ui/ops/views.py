"""Probes and metrics for the platform: /healthz, /readyz, /metrics.

The probes answer without a login (kubelets have none) and say nothing secret. /metrics
needs `Authorization: Bearer $METRICS_TOKEN` when that setting is set, and otherwise
answers only loopback clients, so it is never open to the network by accident.
"""

from __future__ import annotations

import hmac

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .metrics import REGISTRY

LOOPBACK = {"127.0.0.1", "::1"}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready only when the database and the channel layer answer."""
    checks = {"database": _database_ok(), "channel_layer": _channel_layer_ok()}
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(offered.encode(), token.encode()):
            return HttpResponse("metrics need the bearer token configured as METRICS_TOKEN\n", status=401,
                                content_type="text/plain", headers={"WWW-Authenticate": "Bearer"})
    elif request.META.get("REMOTE_ADDR") not in LOOPBACK:
        return HttpResponse("set METRICS_TOKEN to scrape metrics from another host\n", status=403,
                            content_type="text/plain")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def _database_ok() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # any driver error means "not ready"
        return f"unavailable: {type(error).__name__}"


def _channel_layer_ok() -> str:
    layer = get_channel_layer()
    if layer is None:
        return "not configured"
    try:
        async_to_sync(_round_trip)(layer)
        return "ok"
    except Exception as error:  # Redis down, timeouts...
        return f"unavailable: {type(error).__name__}"


async def _round_trip(layer) -> None:
    """Send a message to a fresh channel and read it back: the layer really works."""
    import asyncio

    channel = await layer.new_channel()
    await asyncio.wait_for(layer.send(channel, {"type": "readiness.probe"}), timeout=2)
    await asyncio.wait_for(layer.receive(channel), timeout=2)
