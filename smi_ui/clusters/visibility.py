"""What of a cluster a user may read: one decision for the overview, the API and anything else showing clusters.

A cluster's API server address and version, its sync errors and its per-kind sync progress
describe the whole cluster (its infrastructure, failures in namespaces one may not see), so
only readers of the whole cluster see them; a namespace-limited grant shows the cluster's
name and state only.
"""

from __future__ import annotations

from typing import Any

from smi_ui.accounts.permissions import may
from smi_ui.accounts.roles import Action

from .models import Cluster

#: Cluster fields shown only to readers of the whole cluster.
CLUSTER_WIDE_FIELDS = ("api_server", "server_version", "last_error")


def sees_whole_cluster(user: Any, cluster: Cluster) -> bool:
    """Whether `user` may read what describes the whole of `cluster` (a cluster-wide grant)."""
    return may(user, Action.VIEW, cluster_id=cluster.pk, namespace="")
