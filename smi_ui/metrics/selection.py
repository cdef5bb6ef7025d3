"""Which provider answers for a cluster, built from METRICS_PROVIDERS (see conf)."""

from __future__ import annotations

from smi_ui.clusters.models import Cluster
from smi_ui.clusters.sync import access_for
from smi_ui.kube.client import transport_for
from smi_ui.kube.metrics_api import TrafficMetricsClient

from . import conf
from .providers.base import MetricsProvider, ProviderDisabled, ProviderError
from .providers.prometheus import PrometheusClient, PrometheusProvider
from .providers.promql import FLAVOURS
from .providers.smi_api import SmiMetricsApiProvider


def provider_for(cluster_id: int) -> MetricsProvider:
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        raise ProviderError(f"cluster {cluster_id} is not registered")
    config = conf.provider_config(cluster.name)
    kind = config.get("provider")
    if kind == "smi-metrics-api":
        return SmiMetricsApiProvider(TrafficMetricsClient(transport_for(access_for(cluster),
                                                                        user_agent="smi-ui-metrics")))
    if kind == "prometheus":
        flavour = FLAVOURS.get(config.get("flavour", "linkerd"))
        if flavour is None:
            raise ProviderError(f"unknown Prometheus flavour {config.get('flavour')!r}; known: {sorted(FLAVOURS)}")
        return PrometheusProvider(PrometheusClient(config["url"]), flavour.with_overrides(config.get("queries")))
    if kind in (None, "", "none"):
        raise ProviderDisabled(f"live traffic figures are switched off for cluster {cluster.name} "
                               "(METRICS_PROVIDERS)")
    raise ProviderError(f"unknown metrics provider {kind!r} for cluster {cluster.name}; "
                        "known: smi-metrics-api, prometheus, none")
