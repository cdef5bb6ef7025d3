"""Who makes an edit: a dashboard or API user, or the server's operator at the command line."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from smi_ui.accounts.permissions import may, may_anywhere
from smi_ui.accounts.roles import Action
from smi_ui.audit import context
from smi_ui.audit.models import Source
from smi_ui.inventory.models import ChangeSource
from smi_ui.kube.writer import Impersonation


@dataclass(frozen=True)
class Actor:
    """The author of an edit and the channel it came through (recorded in the audit log).

    A command-line actor without a user is the server's operator: whoever runs
    `manage.py` already holds the database and the cluster credentials, so no grant is
    checked. Every other actor is checked against its user's grants.
    """

    user: Any | None
    name: str
    source: str = Source.DASHBOARD
    impersonate: bool = False

    @classmethod
    def for_user(cls, user: Any, *, source: str = Source.DASHBOARD, impersonate: bool = False) -> Actor:
        return cls(user=user, name=user.get_username(), source=source, impersonate=impersonate)

    @classmethod
    def command_line(cls, name: str, user: Any | None = None) -> Actor:
        return cls(user=user, name=user.get_username() if user is not None else name, source=Source.CLI)

    def may(self, action: Action, *, cluster_id: int, namespace: str, kind: str | None = None) -> bool:
        if self.user is None:
            return self.source == Source.CLI
        return may(self.user, action, cluster_id=cluster_id, namespace=namespace, kind=kind)

    def may_anywhere(self, action: Action) -> bool:
        if self.user is None:
            return self.source == Source.CLI
        return may_anywhere(self.user, action)

    @property
    def revision_source(self) -> str:
        return ChangeSource.CLI if self.source == Source.CLI else ChangeSource.DASHBOARD

    def impersonation(self) -> Impersonation | None:
        """Write as this user (the cluster's RBAC then applies too), when asked and possible."""
        if not self.impersonate or self.user is None:
            return None
        groups = tuple(sorted(self.user.groups.values_list("name", flat=True)))
        return Impersonation(self.name, groups)

    @contextlib.contextmanager
    def attributed(self) -> Iterator[None]:
        """Attribute everything recorded inside the block to this actor (address etc. stay the request's)."""
        with context.bound(actor=self.name, actor_id=getattr(self.user, "pk", None), source=self.source):
            yield
