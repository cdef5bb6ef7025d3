"""Users, groups, grants and tokens in the admin: every change is an audit entry, tokens are revoked, never edited.

Group membership and superuser flags are as much a grant as a Grant row (membership of
`admins` makes an admin), so the user and group admins are audited as well.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest

from smi_ui.audit.admin_audit import AuditedAdminMixin, ReadOnlyAdminMixin

from .models import ApiToken, Grant
from .tokens import revoke_token_audited


@admin.register(Grant)
class GrantAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["role", "user", "group", "cluster", "namespace", "created_at"]
    list_filter = ["role", "cluster"]
    search_fields = ["user__username", "group__name", "namespace"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only: a token is issued by `manage.py tokens create` or the API (which show it once) and
    ended by the revoke action; a revoked or expired token is never brought back."""

    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at",
                    "may_issue_tokens"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    exclude = ["digest"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at",
                       "may_issue_tokens", "issued_by"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the record of the token stays

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_apitoken")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = [record for record in queryset.select_related("user") if revoke_token_audited(record)]
        self.message_user(request, f"revoked {len(revoked)} token(s)", messages.SUCCESS)


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAdminMixin, UserAdmin):
    audit_secret_fields = ("password",)


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    pass


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Failed logins counted towards a lockout; deleting a row unlocks (an audit entry), nothing else changes."""

    list_display = ["attempt_time", "username", "ip_address", "failures_since_start", "path_info"]
    list_filter = ["attempt_time"]
    search_fields = ["username", "ip_address"]
    readonly_fields = ["attempt_time", "username", "ip_address", "user_agent", "path_info", "http_accept",
                       "failures_since_start"]
    exclude = ["get_data", "post_data"]
    audit_secret_fields = ("get_data", "post_data")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["attempt_time", "logout_time", "username", "ip_address"]
    search_fields = ["username", "ip_address"]


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["attempt_time", "username", "ip_address", "locked_out"]
    search_fields = ["username", "ip_address"]
