from django.apps import AppConfig


class MetricsConfig(AppConfig):
    """Live traffic figures: providers (SMI metrics API, Prometheus), pollers, cache and short history."""

    name = "smi_ui.metrics"
    label = "metrics"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the settings checks)
