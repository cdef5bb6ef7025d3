"""The audit log: one entry per write attempt, hash-chained so any later edit shows.

Entries hold plain values (cluster id and name, actor name and id) rather than foreign
keys: deleting a cluster or a user must never rewrite, cascade into or orphan the record
of what they did.
"""

from __future__ import annotations

from django.db import models

GENESIS_HASH = "0" * 64


class Outcome(models.TextChoices):
    SUCCEEDED = "succeeded", "succeeded"
    CONFLICT = "conflict", "conflict (the object moved on)"
    REJECTED = "rejected", "rejected (validation, ownership or the cluster's verdict)"
    DENIED = "denied", "denied (not allowed)"
    FAILED = "failed", "failed (cluster unreachable or erroring)"


class Source(models.TextChoices):
    DASHBOARD = "dashboard", "dashboard session"
    API = "api", "API token"
    CLI = "cli", "command line"


class AuditEntry(models.Model):
    """One attempted change: who, when, from where, on what, what it would change, and how it ended."""

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(db_index=True, editable=False)
    actor = models.CharField(max_length=150, blank=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    ip = models.CharField(max_length=45, blank=True, help_text="The client's address as the server saw it")
    user_agent = models.CharField(max_length=500, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    action = models.CharField(max_length=32)
    cluster_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    cluster_name = models.CharField(max_length=63, blank=True)
    api_version = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=63, blank=True, db_index=True)
    namespace = models.CharField(max_length=253, blank=True, db_index=True)
    name = models.CharField(max_length=253, blank=True)
    base_resource_version = models.CharField(max_length=64, blank=True)
    resource_version = models.CharField(max_length=64, blank=True)
    dry_run = models.BooleanField(default=False)
    forced = models.BooleanField(default=False)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, db_index=True)
    summary = models.TextField(blank=True)
    message = models.TextField(blank=True, help_text="The cluster's (or the validator's) own words")
    errors = models.JSONField(default=list, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    key_id = models.CharField(max_length=16, editable=False,
                              help_text="The key that sealed the hash (`legacy`: plain sha256, before keying)")
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["-sequence"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["cluster_id", "namespace", "kind", "name"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.actor or '?'} {self.action} {self.kind} {self.namespace}/{self.name}: " \
               f"{self.outcome}"


class AuditChainHead(models.Model):
    """The chain's tip: locked to append one entry at a time, and compared by `verify` to spot truncation."""

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # Entries from before the chain was keyed: how many, sealed with a key when keying began (see keys.py),
    # so they can be neither added to nor rewritten afterwards without the key.
    legacy_entries = models.PositiveBigIntegerField(default=0)
    legacy_seal = models.CharField(max_length=64, blank=True)
    # A keyed MAC over (last_sequence, last_hash): deleting the newest entries and resetting the head needs the key.
    head_seal = models.CharField(max_length=100, blank=True)
    legacy_seal_key_id = models.CharField(max_length=16, blank=True)

    def __str__(self) -> str:
        return f"audit chain at #{self.last_sequence}"
