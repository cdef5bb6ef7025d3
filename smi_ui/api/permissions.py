"""DRF permission classes, each a thin question to `accounts.permissions`."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from smi_ui.accounts.permissions import may, may_anywhere
from smi_ui.accounts.roles import Action


class CanReadAudit(BasePermission):
    """The audit log and its exports: auditors and admins (rows are further limited to their scopes)."""

    message = "your roles do not include reading the audit log"

    def has_permission(self, request: Any, view: Any) -> bool:
        return may_anywhere(request.user, Action.AUDIT)


class CanManageAccess(BasePermission):
    """Grants of roles: admins whose grant is not limited to a cluster or namespace."""

    message = "managing access needs the admin role on every cluster"

    def has_permission(self, request: Any, view: Any) -> bool:
        return may(request.user, Action.MANAGE_ACCESS, cluster_id=None, namespace="")
