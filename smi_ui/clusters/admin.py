"""Admin for clusters: credentials are write-only fields, never shown back."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from smi_ui.audit.admin_audit import AuditedAdminMixin
from smi_ui.kube import kubeconfig as kubeconfigs

from .crypto import CredentialsUnreadable
from .models import AuthMethod, Cluster, KindStatus


class ClusterAdminForm(forms.ModelForm):
    api_server = forms.URLField(required=False, assume_scheme="https", max_length=500,
                                help_text="https://host:port of the API server (not for kubeconfig/in-cluster)")
    token = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False),
                            help_text="Bearer token (token method). Leave empty to keep the stored one.")
    ca_data = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="CA bundle (PEM). Leave empty to keep the stored one.")
    client_cert = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="Client certificate (PEM), client-cert method.")
    client_key = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False),
                                 help_text="Client key (PEM), client-cert method. Never shown back.")
    kubeconfig = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text="kubeconfig YAML (kubeconfig method). Never shown back.")

    class Meta:
        model = Cluster
        fields = ["name", "api_server", "auth_method", "kubeconfig_context", "insecure_skip_tls_verify", "enabled",
                  "is_demo"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        method = data.get("auth_method")
        fresh = {k: data.get(k) for k in ("token", "ca_data", "client_cert", "client_key", "kubeconfig") if data.get(k)}
        stored = self.instance.credentials if self.instance.pk else {}
        if "kubeconfig" in fresh:
            try:  # a pasted kubeconfig may carry inline credentials only: no exec, auth-provider or files
                fresh["kubeconfig"] = kubeconfigs.parse(fresh["kubeconfig"])
                kubeconfigs.check(fresh["kubeconfig"], allowed_exec_commands=None)
            except kubeconfigs.KubeconfigError as error:
                for problem in error.problems:
                    self.add_error("kubeconfig", kubeconfigs.describe(problem))
        needed = {AuthMethod.TOKEN: ["token"], AuthMethod.CLIENT_CERT: ["client_cert", "client_key"],
                  AuthMethod.KUBECONFIG: ["kubeconfig"]}.get(method, [])
        for key in needed:
            if key not in fresh and key not in stored:
                self.add_error(key, "required for this authentication method")
        if method in (AuthMethod.TOKEN, AuthMethod.CLIENT_CERT) and not data.get("api_server"):
            self.add_error("api_server", "required for this authentication method")
        self.merged_credentials = {**stored, **fresh}
        return data

    def save(self, commit: bool = True) -> Cluster:
        cluster = super().save(commit=False)
        cluster.set_credentials(self.merged_credentials)
        if commit:
            cluster.save()
        return cluster


class KindStatusInline(admin.TabularInline):
    model = KindStatus
    verbose_name_plural = "kind statuses"
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # written by sync only
    readonly_fields = ["kind", "api_version", "state", "listed", "last_error", "stale_since", "last_event_at"]
    fields = readonly_fields


@admin.register(Cluster)
class ClusterAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Every create, edit and delete is an audit entry; credentials appear in it only as changed or not."""

    audit_secret_fields = ("credentials_encrypted",)

    def audit_secret_value(self, obj: Any, field_name: str) -> Any:
        try:
            return obj.credentials  # the plaintext's fingerprint: the ciphertext changes on every save
        except CredentialsUnreadable:  # unreadable with today's keys: fingerprint what is stored
            return getattr(obj, field_name)

    form = ClusterAdminForm
    list_display = ["name", "api_server", "auth_method", "state", "stale_since", "last_event_at", "is_demo"]
    list_filter = ["state", "auth_method", "is_demo"]
    search_fields = ["name", "api_server"]
    readonly_fields = ["state", "last_error", "stale_since", "last_event_at", "server_version", "served_kinds",
                       "discovered_at"]
    inlines = [KindStatusInline]
