from django.apps import AppConfig


class WebConfig(AppConfig):
    """Server-rendered pages."""

    name = "smi_ui.web"
    label = "web"
