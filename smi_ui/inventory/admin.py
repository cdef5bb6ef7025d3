from django.contrib import admin

from .models import KubeObject, Revision


@admin.register(KubeObject)
class KubeObjectAdmin(admin.ModelAdmin):
    list_display = ["kind", "namespace", "name", "cluster", "api_version", "resource_version", "observed_at"]
    list_filter = ["kind", "cluster"]
    search_fields = ["name", "namespace"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Revision)
class RevisionAdmin(KubeObjectAdmin):
    list_display = ["observed_at", "change", "kind", "namespace", "name", "cluster", "field_manager", "source"]
    list_filter = ["change", "kind", "source", "cluster"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
