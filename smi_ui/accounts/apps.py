from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Roles, scoped grants and API tokens: who may do what, where."""

    name = "smi_ui.accounts"
    label = "accounts"
