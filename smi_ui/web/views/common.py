"""What every page shares: finding the cluster a URL names, and refusing what the user may not see."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from smi_ui.accounts.permissions import may, visible_clusters_q, visible_namespaces_q
from smi_ui.accounts.roles import Action
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject
from smi_ui.smi.kinds import REGISTRY

#: Kinds an object page can show besides the SMI kinds (the objects that link them).
LINKING_KINDS = {"services": "Service", "serviceaccounts": "ServiceAccount", "deployments": "Deployment",
                 "namespaces": "Namespace"}


def visible_cluster(request: HttpRequest, name: str) -> Cluster:
    """The cluster the URL names, or 404 when it does not exist or the user may see nothing in it."""
    return get_object_or_404(Cluster.objects.filter(visible_clusters_q(request.user)), name=name)


def visible_namespace_names(user: Any, cluster: Cluster) -> list[str]:
    return list(KubeObject.objects.filter(cluster=cluster, kind="Namespace").filter(visible_namespaces_q(user))
                .order_by("name").values_list("name", flat=True))


def kind_from_plural(plural: str) -> str:
    """`trafficsplits` -> `TrafficSplit`; 404 for kinds pages do not show."""
    info = REGISTRY.by_plural_only(plural)
    if info is not None:
        return info.kind
    if plural in LINKING_KINDS:
        return LINKING_KINDS[plural]
    raise Http404("no such kind")


def plural_of(kind: str) -> str:
    info = REGISTRY.get(kind)
    return info.plural if info else kind.lower() + "s"


def require_view(user: Any, cluster: Cluster, namespace: str) -> None:
    """404 (not 403) for a namespace the user may not see, exactly like a missing object."""
    if not may(user, Action.VIEW, cluster_id=cluster.pk, namespace=namespace):
        raise Http404("no such object")
