from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Plumbing shared by every app: first-run setup and the serve command."""

    name = "smi_ui.core"
    label = "core"
