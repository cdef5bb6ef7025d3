"""Websocket routes, one list for the whole project (served by smi_ui.asgi)."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
