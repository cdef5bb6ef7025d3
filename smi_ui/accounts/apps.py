from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Roles, scoped grants and API tokens: who may do what, where."""

    name = "smi_ui.accounts"
    label = "accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed

        from .lockout import on_locked_out, on_login_failed

        user_login_failed.connect(on_login_failed, dispatch_uid="smi-ui-audit-login-failed")
        user_locked_out.connect(on_locked_out, dispatch_uid="smi-ui-audit-lockout")
