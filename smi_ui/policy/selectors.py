"""Policy input from the inventory, limited to what the reader may see."""

from __future__ import annotations

from typing import Any

from smi_ui.accounts.permissions import visible_namespaces_q, visible_q
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject

from .inputs import POLICY_KINDS, PolicyInput, Row


def policy_input(user: Any, cluster: Cluster) -> PolicyInput:
    """The policy rows of `cluster` the user may see; namespaces they may see count as fully known."""
    objects = (KubeObject.objects.filter(cluster=cluster, kind__in=POLICY_KINDS).filter(visible_q(user))
               .values_list("kind", "namespace", "name", "normalized"))
    rows = [Row(kind, namespace, name, normalized or {}) for kind, namespace, name, normalized in objects]
    known = set(KubeObject.objects.filter(cluster=cluster, kind="Namespace").filter(visible_namespaces_q(user))
                .values_list("name", flat=True))
    known |= {row.namespace for row in rows if row.kind in ("ServiceAccount", "Deployment")}
    return PolicyInput(rows, known)
