from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What the platform running the dashboard needs: health probes, Prometheus metrics, logs."""

    name = "smi_ui.ops"
    label = "ops"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the audit-write counter)
