"""The synced inventory in the admin: a copy of what the clusters hold, so it is read-only there."""

from django.contrib import admin

from smi_ui.audit.admin_audit import ReadOnlyAdminMixin

from .models import KubeObject, Revision


@admin.register(KubeObject)
class KubeObjectAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Never deleted here: sync would bring the row back, and the cluster still holds the object."""

    list_display = ["kind", "namespace", "name", "cluster", "api_version", "resource_version", "observed_at"]
    list_filter = ["kind", "cluster"]
    search_fields = ["name", "namespace"]


@admin.register(Revision)
class RevisionAdmin(KubeObjectAdmin):
    list_display = ["observed_at", "change", "kind", "namespace", "name", "cluster", "field_manager", "source"]
    list_filter = ["change", "kind", "source", "cluster"]
