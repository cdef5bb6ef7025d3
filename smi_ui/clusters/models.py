"""Clusters the dashboard syncs, how to reach them, and how their sync is doing."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from .crypto import decrypt_credentials, encrypt_credentials


class AuthMethod(models.TextChoices):
    KUBECONFIG = "kubeconfig", "kubeconfig context"
    IN_CLUSTER = "in-cluster", "in-cluster service account"
    TOKEN = "token", "bearer token + CA bundle"
    CLIENT_CERT = "client-cert", "client certificate"


class SyncState(models.TextChoices):
    PENDING = "pending", "not synced yet"
    SYNCING = "syncing", "syncing"
    CONNECTED = "connected", "connected"
    STALE = "stale", "stale"
    ERROR = "error", "error"  # no client can be built (bad or missing credentials): retried with backoff
    DISABLED = "disabled", "disabled"


class Cluster(models.Model):
    """A Kubernetes cluster: where it is, how we authenticate, and its discovered SMI layout.

    Credentials are stored only encrypted (`credentials_encrypted`) and are never part of
    an API response, a page or a log line.
    """

    name = models.SlugField(max_length=63, unique=True)
    api_server = models.URLField(max_length=500, blank=True)
    auth_method = models.CharField(max_length=20, choices=AuthMethod.choices, default=AuthMethod.TOKEN)
    kubeconfig_context = models.CharField(max_length=253, blank=True)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    insecure_skip_tls_verify = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False, help_text="A sandbox cluster holding the demo world.")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    state = models.CharField(max_length=20, choices=SyncState.choices, default=SyncState.PENDING)
    state_detail = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    stale_since = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    server_version = models.CharField(max_length=100, blank=True)
    served_kinds = models.JSONField(default=dict, blank=True, help_text="SMI kind -> served versions, preferred")
    discovered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (demo)" if self.is_demo else self.name

    @property
    def credentials(self) -> dict[str, Any]:
        return decrypt_credentials(self.credentials_encrypted)

    def set_credentials(self, credentials: dict[str, Any]) -> None:
        self.credentials_encrypted = encrypt_credentials(credentials)

    @property
    def has_smi(self) -> bool:
        return bool(self.served_kinds)

    def preferred_version(self, kind: str) -> str | None:
        entry = self.served_kinds.get(kind)
        return entry["preferred"] if entry else None

    def mark_stale(self, error: str) -> None:
        self.state = SyncState.STALE
        self.last_error = error[:2000]
        self.stale_since = self.stale_since or timezone.now()


class KindStatus(models.Model):
    """Sync status of one kind in one cluster: progress while listing, staleness after errors."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="kind_statuses")
    kind = models.CharField(max_length=63)
    api_version = models.CharField(max_length=100)
    state = models.CharField(max_length=20, choices=SyncState.choices, default=SyncState.PENDING)
    listed = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    stale_since = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    event_lag_ms = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cluster", "kind"]
        constraints = [models.UniqueConstraint(fields=["cluster", "kind"], name="one_status_per_cluster_kind")]

    def __str__(self) -> str:
        return f"{self.cluster.name}/{self.kind}: {self.state}"


class SyncLease(models.Model):
    """Which sync process watches a cluster; another may take it once it expires."""

    cluster = models.OneToOneField(Cluster, on_delete=models.CASCADE, related_name="lease")
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    acquired_at = models.DateTimeField(null=True, blank=True)
    renewed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.cluster.name}: {self.holder or 'free'}"
