from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The tamper-evident, append-only log of every write attempt."""

    name = "smi_ui.audit"
    label = "audit"
