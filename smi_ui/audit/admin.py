"""The audit log in the admin: readable by staff, never addable, editable or deletable."""

from django.contrib import admin

from .models import AuditChainHead, AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["sequence", "created_at", "actor", "source", "action", "kind", "namespace", "name",
                    "cluster_name", "dry_run", "outcome"]
    list_filter = ["outcome", "action", "source", "dry_run", "kind", "cluster_name"]
    search_fields = ["actor", "name", "namespace", "request_id", "summary"]
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(AuditEntryAdmin):
    list_display = ["last_sequence", "last_hash"]
    list_filter = []
    search_fields = []
    readonly_fields = ["last_sequence", "last_hash"]
