"""The synced copy of cluster objects, and the append-only history of their changes."""

from __future__ import annotations

from django.db import models


class ChangeType(models.TextChoices):
    CREATED = "created", "created"
    MODIFIED = "modified", "modified"
    DELETED = "deleted", "deleted"


class ChangeSource(models.TextChoices):
    SYNC = "sync", "observed by sync"
    DASHBOARD = "dashboard", "dashboard edit"
    CLI = "cli", "command line"


class KubeObject(models.Model):
    """An object as the cluster currently serves it: raw JSON plus indexed fields.

    `raw` is exactly what the API server returned; the other columns are derived from it
    (by the SMI model for SMI kinds) so pages and filters never parse JSON in SQL.
    """

    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="kube_objects")
    api_version = models.CharField(max_length=100)
    kind = models.CharField(max_length=63, db_index=True)
    namespace = models.CharField(max_length=63, blank=True, db_index=True)
    name = models.CharField(max_length=253)
    uid = models.CharField(max_length=64)
    resource_version = models.CharField(max_length=64)
    labels = models.JSONField(default=dict, blank=True)
    raw = models.JSONField()
    normalized = models.JSONField(default=dict, blank=True, help_text="Version-neutral fields for SMI kinds")
    problems = models.JSONField(default=list, blank=True, help_text="Validation errors or 'unsupported' notes")
    observed_at = models.DateTimeField()

    class Meta:
        ordering = ["cluster", "kind", "namespace", "name"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "kind", "namespace", "name"], name="one_current_object"),
        ]
        indexes = [models.Index(fields=["cluster", "kind", "namespace"])]

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


class Revision(models.Model):
    """One observed change of one object; rows are only ever added.

    Idempotent by (cluster, uid, resource_version, change): a watch replay or the echo of
    our own write does not add a second row.
    """

    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="revisions")
    api_version = models.CharField(max_length=100)
    kind = models.CharField(max_length=63)
    namespace = models.CharField(max_length=63, blank=True)
    name = models.CharField(max_length=253)
    uid = models.CharField(max_length=64)
    resource_version = models.CharField(max_length=64)
    change = models.CharField(max_length=10, choices=ChangeType.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    field_manager = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20, choices=ChangeSource.choices, default=ChangeSource.SYNC)
    actor = models.CharField(max_length=200, blank=True, help_text="Dashboard user, when the change was ours")
    observed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "uid", "resource_version", "change"], name="one_revision_per_version"
            ),
        ]
        indexes = [models.Index(fields=["cluster", "kind", "namespace", "name"])]

    def __str__(self) -> str:
        return f"{self.change} {self.kind} {self.namespace}/{self.name}@{self.resource_version}"

    @property
    def author(self) -> str:
        """Who made the change, as every page names it: the dashboard user, else the field manager."""
        if self.actor:
            return f"{self.actor} (via {self.get_source_display()})"
        return self.field_manager or "a writer the cluster did not name (seen by sync)"

    @property
    def label(self) -> str:
        """One revision in a diff header or a picker: its resourceVersion and when it was seen."""
        return f"rv {self.resource_version}, {self.observed_at:%Y-%m-%d %H:%M:%S %Z}"
