"""Roles and the actions each allows: the vocabulary of every permission decision.

Kept free of models so the API, pages, websockets and the CLI can all name actions.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "viewer: reads objects"
    OPERATOR = "operator", "operator: changes TrafficSplit weights"  # kind-reference: a label users read
    POLICY_EDITOR = "policy-editor", "policy editor: creates, changes and deletes every SMI kind"
    AUDITOR = "auditor", "auditor: reads everything, the audit log and its exports; never writes"
    ADMIN = "admin", "admin: everything, including forcing edits of controller-owned objects"


class Action(StrEnum):
    VIEW = "view"
    EDIT_WEIGHTS = "edit-weights"  # weights of kinds with weighted backends only
    EDIT_POLICY = "edit-policy"  # create, update, delete any SMI kind (and add/remove backends, revert)
    FORCE = "force"  # override the ownership guard
    AUDIT = "audit"  # read the audit log and export it
    MANAGE_ACCESS = "manage-access"  # grants; only meaningful unscoped


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.VIEW}),
    Role.OPERATOR: frozenset({Action.VIEW, Action.EDIT_WEIGHTS}),
    Role.POLICY_EDITOR: frozenset({Action.VIEW, Action.EDIT_WEIGHTS, Action.EDIT_POLICY}),
    Role.AUDITOR: frozenset({Action.VIEW, Action.AUDIT}),
    Role.ADMIN: frozenset(Action),
}

#: Django groups made for each role, with an unscoped grant (migration 0002): membership is managed in the admin.
ROLE_GROUPS: dict[str, str] = {
    Role.VIEWER: "viewers",
    Role.OPERATOR: "operators",
    Role.POLICY_EDITOR: "policy-editors",
    Role.AUDITOR: "auditors",
    Role.ADMIN: "admins",
}

#: Actions that change a cluster; auditors and viewers never hold any of them.
WRITE_ACTIONS = frozenset({Action.EDIT_WEIGHTS, Action.EDIT_POLICY, Action.FORCE})
