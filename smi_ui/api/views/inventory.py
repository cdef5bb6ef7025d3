"""Read-only views of clusters, namespaces and services, limited to what the user may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import OrderingFilter
from rest_framework.generics import ListAPIView, RetrieveAPIView

from smi_ui.accounts.permissions import visible_clusters_q, visible_namespaces_q, visible_q
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject

from ..filtersets import KubeObjectFilterSet
from ..serializers import ClusterSerializer, KubeObjectSerializer
from .base import ApiView

OBJECT_ORDERING = ["name", "namespace", "kind", "observed_at", "cluster__name"]


class ClusterList(ApiView, ListAPIView):
    """Clusters in which you may see something. Credentials are never part of the answer."""

    serializer_class = ClusterSerializer
    filter_backends = [OrderingFilter]
    ordering_fields = ["name", "state", "last_event_at"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[Cluster]:
        return Cluster.objects.filter(visible_clusters_q(self.request.user))


class ClusterDetail(ApiView, RetrieveAPIView):
    serializer_class = ClusterSerializer
    lookup_field = "name"

    def get_queryset(self) -> QuerySet[Cluster]:
        return Cluster.objects.filter(visible_clusters_q(self.request.user))


class NamespaceList(ApiView, ListAPIView):
    """Namespaces you may see (a namespace-limited grant shows that namespace)."""

    serializer_class = KubeObjectSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = KubeObjectFilterSet
    ordering_fields = OBJECT_ORDERING
    ordering = ["cluster__name", "name"]

    def get_queryset(self) -> QuerySet[KubeObject]:
        return KubeObject.objects.filter(kind="Namespace").filter(
            visible_namespaces_q(self.request.user)).select_related("cluster")


class ServiceList(ApiView, ListAPIView):
    """Kubernetes Services (the names TrafficSplits route to)."""

    serializer_class = KubeObjectSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = KubeObjectFilterSet
    ordering_fields = OBJECT_ORDERING
    ordering = ["cluster__name", "namespace", "name"]

    def get_queryset(self) -> QuerySet[KubeObject]:
        return KubeObject.objects.filter(kind="Service").filter(visible_q(self.request.user)).select_related("cluster")
