"""What the policy functions read: plain rows (kind, namespace, name, normalized fields).

Kept free of the ORM so the access graph, findings and exports are pure functions that
tests feed with hand-written rows; `selectors.policy_input` builds one from the inventory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smi_ui.smi.kinds import REGISTRY

#: The kinds rules refer to for their matches, and the kinds that are rules: asked of the registry.
ROUTE_KINDS = tuple(spec.kind for spec in REGISTRY.with_trait("route_spec"))
ACCESS_RULE_KINDS = tuple(spec.kind for spec in REGISTRY.with_trait("access_rule"))
WORKLOAD_KINDS = ("Deployment", "Pod")
POLICY_KINDS = (*ACCESS_RULE_KINDS, *ROUTE_KINDS, "ServiceAccount", *WORKLOAD_KINDS)


@dataclass(frozen=True)
class Row:
    """One object as policy sees it."""

    kind: str
    namespace: str
    name: str
    normalized: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, order=True)
class Identity:
    """A workload identity: a ServiceAccount, addressed by namespace and name."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> Identity | None:
        """`namespace/name` as written in URLs; None when malformed."""
        namespace, _, name = text.partition("/")
        return cls(namespace, name) if namespace and name and "/" not in name else None


@dataclass
class PolicyInput:
    """Every row policy needs, plus the namespaces whose ServiceAccounts and workloads are fully known.

    A reference into a namespace outside `known_namespaces` (one the reader may not see)
    cannot be judged missing, so no finding is raised for it.
    """

    rows: list[Row]
    known_namespaces: set[str] | None = None

    def of_kind(self, kind: str) -> list[Row]:
        return [row for row in self.rows if row.kind == kind]

    def knows(self, namespace: str) -> bool:
        if self.known_namespaces is None:
            return any(row.namespace == namespace for row in self.rows)
        return namespace in self.known_namespaces
