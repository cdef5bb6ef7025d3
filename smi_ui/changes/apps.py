from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """Edits written back to clusters: validation, ownership guard, diff, dry run, write, revert."""

    name = "smi_ui.changes"
    label = "changes"
