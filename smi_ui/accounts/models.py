"""Grants of roles to users or groups, optionally limited to a cluster and a namespace; API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from .roles import Role


class Grant(models.Model):
    """`role` for a user or a group, in one cluster (or all) and one namespace (or all)."""

    role = models.CharField(max_length=20, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="smi_grants")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="smi_grants")
    cluster = models.ForeignKey("clusters.Cluster", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="grants", help_text="Empty: every cluster")
    namespace = models.CharField(max_length=63, blank=True, help_text="Empty: every namespace")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(group__isnull=True))
                | (Q(user__isnull=True) & Q(group__isnull=False)),
                name="grant_to_user_or_group",
            ),
        ]

    def __str__(self) -> str:
        who = f"user {self.user}" if self.user_id else f"group {self.group}"
        where = f"{self.cluster.name if self.cluster_id else '*'}/{self.namespace or '*'}"
        return f"{self.role} for {who} on {where}"


class ApiToken(models.Model):
    """A bearer token for automation; only its sha256 digest is stored, the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="smi_api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The token's first characters, to recognise it")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    may_issue_tokens = models.BooleanField(
        default=False, help_text="Whether automation holding this token may issue tokens (never tokens that may)")
    issued_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="issued",
                                  help_text="The token that issued this one; revoking it revokes this one too")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"
