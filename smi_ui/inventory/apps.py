from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """The synced copy of every cluster's objects and the history of their changes."""

    name = "smi_ui.inventory"
    label = "inventory"
