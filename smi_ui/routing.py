"""Websocket routes, one list for the whole project (served by smi_ui.asgi)."""

from django.urls import URLPattern, path

from smi_ui.live.consumers import LiveNamespaceConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/live/clusters/<int:cluster_id>/namespaces/<str:namespace>/", LiveNamespaceConsumer.as_asgi(),
         name="live-namespace"),
    path("ws/live/clusters/<int:cluster_id>/namespaces/<str:namespace>/<str:kind>/<str:name>/",
         LiveNamespaceConsumer.as_asgi(), name="live-object"),
]
