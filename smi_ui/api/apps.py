from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API under /api/: thin views over the domain services and selectors."""

    name = "smi_ui.api"
    label = "api"
