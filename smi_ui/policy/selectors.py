"""Policy input from the inventory, limited to what the reader may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from smi_ui.accounts.permissions import visible_namespaces_q, visible_q
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject
from smi_ui.metrics.selectors import cached_namespace_metrics

from .findings import ObservedTraffic, observed_traffic
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


def access_control_on(cluster_name: str) -> bool:
    """Whether the mesh of `cluster_name` denies what no TrafficTarget allows.

    Read from the SMI_ACCESS_CONTROL setting (cluster name -> bool, "*" for the rest). The
    default is on, the SMI spec's deny-by-default; meshes in permissive mode (OSM's
    enablePermissiveTrafficPolicyMode, Traefik Mesh without acl) are configured off.
    """
    configured: Any = getattr(settings, "SMI_ACCESS_CONTROL", {})
    if isinstance(configured, bool):
        return configured
    configured = configured or {}
    return bool(configured.get(cluster_name, configured.get("*", True)))


def cached_observed_traffic(cluster_id: int, namespaces: Iterable[str]) -> list[ObservedTraffic]:
    """Observed edges of the namespaces someone currently watches (no provider query: cached figures only).

    Callers must have checked that the user may view these namespaces.
    """
    return observed_traffic(document for namespace in namespaces
                            if (document := cached_namespace_metrics(cluster_id, namespace)) is not None)


def observed_traffic_for(user: Any, cluster: Cluster) -> list[ObservedTraffic]:
    """Cached observed edges whose two ends lie in namespaces the user may see."""
    visible = set(KubeObject.objects.filter(cluster=cluster, kind="Namespace").filter(visible_namespaces_q(user))
                  .values_list("name", flat=True))
    return [edge for edge in cached_observed_traffic(cluster.pk, sorted(visible))
            if edge.source_namespace in visible and edge.destination_namespace in visible]
