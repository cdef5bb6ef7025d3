from django.apps import AppConfig


class LiveConfig(AppConfig):
    """Websocket consumers, channel-layer group names and the one broadcast helper."""

    name = "smi_ui.live"
    label = "live"
