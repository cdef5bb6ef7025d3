from django.apps import AppConfig


class ClustersConfig(AppConfig):
    """Registered clusters, their credentials, sync status and the sync workers."""

    name = "smi_ui.clusters"
    label = "clusters"
