"""Reading an object straight from its cluster (not the inventory), for callers that need the latest."""

from __future__ import annotations

from typing import Any

from smi_ui.clusters.models import Cluster
from smi_ui.clusters.sync import access_for
from smi_ui.kube.resources import smi_resource
from smi_ui.kube.transport import KubeApiError
from smi_ui.kube.writer import writer_for
from smi_ui.smi.kinds import KindInfo

from .errors import ClusterUnavailable, ObjectNotFound, problem
from .versions import served_versions


def live_object(cluster: Cluster, info: KindInfo, namespace: str, name: str) -> dict[str, Any]:
    """The object as the cluster serves it now, in the cluster's preferred version."""
    writer = writer_for(access_for(cluster))
    try:
        served = served_versions(cluster, info, writer.transport)
        return writer.get(smi_resource(info, served.preferred), namespace, name)
    except KubeApiError as error:
        if error.status == 404:
            raise ObjectNotFound([problem("", f"no {info.kind} {namespace}/{name} in cluster {cluster.name}",
                                          "not-found")]) from None
        raise ClusterUnavailable([problem("", f"cluster {cluster.name}: {error}", "cluster-unavailable")]) from None
