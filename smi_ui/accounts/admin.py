"""Grants and tokens in the admin; token digests are never shown and tokens are issued elsewhere."""

from django.contrib import admin

from .models import ApiToken, Grant


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["role", "user", "group", "cluster", "namespace", "created_at"]
    list_filter = ["role", "cluster"]
    search_fields = ["user__username", "group__name", "namespace"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    exclude = ["digest"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False  # issued by `manage.py tokens create` or the API, which show the token once
