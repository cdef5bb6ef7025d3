"""Channel-layer group names: the only place that spells them.

Group names allow only ASCII letters, digits, hyphens, underscores and periods, which
Kubernetes namespace names (DNS-1123 labels) already satisfy.
"""


def cluster_group(cluster_id: int) -> str:
    return f"cluster.{cluster_id}"


def namespace_group(cluster_id: int, namespace: str) -> str:
    return f"ns.{cluster_id}.{namespace or '_cluster'}"


def metrics_group(cluster_id: int, namespace: str) -> str:
    return f"metrics.{cluster_id}.{namespace}"
