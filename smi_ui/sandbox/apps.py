from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """The sandbox cluster: a Kubernetes-API-compatible server for tests and the demo."""

    name = "smi_ui.sandbox"
    label = "sandbox"
