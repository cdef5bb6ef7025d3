"""SMI objects: list, detail with history, and every edit (each a call to `smi_ui.changes.services`).

Objects are addressed like Kubernetes addresses them:
`/api/objects/{cluster}/{namespace}/{kind plural}/{name}/`. An object you may not see
answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.filters import OrderingFilter
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from smi_ui.accounts.permissions import visible_clusters_q, visible_q
from smi_ui.changes import services
from smi_ui.changes.manifests import manifest_from_input
from smi_ui.changes.pipeline import EditResult
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.smi.kinds import KINDS_BY_NAME, KindInfo

from ..filtersets import KubeObjectFilterSet
from ..serializers import (
    BackendAddSerializer,
    BackendRemoveSerializer,
    DeleteQuerySerializer,
    EditResultSerializer,
    KubeObjectDetailSerializer,
    KubeObjectSerializer,
    ObjectCreateSerializer,
    ObjectUpdateSerializer,
    RevertSerializer,
    RevisionSerializer,
    WeightsEditSerializer,
)
from .base import ApiView
from .inventory import OBJECT_ORDERING

SMI_KINDS = list(KINDS_BY_NAME)
LIST_DEFERRED = ("raw", "normalized", "cluster__credentials_encrypted", "cluster__served_kinds",
                 "cluster__state_detail", "cluster__last_error")


def kind_from_url(kind: str) -> KindInfo:
    """The kind named in a URL (plural, as Kubernetes spells it, or the kind name); 404 otherwise."""
    info = next((k for k in KINDS_BY_NAME.values() if k.plural == kind), None) or KINDS_BY_NAME.get(kind)
    if info is None:
        raise_not_found()
    return info


def raise_not_found() -> Any:
    raise Http404("no such object")


def edit_response(result: EditResult, *, created: bool = False) -> Response:
    code = status.HTTP_201_CREATED if created and not result.dry_run else status.HTTP_200_OK
    return Response(EditResultSerializer(result).data, status=code)


class ObjectAddressMixin:
    """Resolves `{cluster}/{namespace}/{kind}/{name}` for the views below."""

    request: Request
    kwargs: dict[str, Any]

    def cluster(self) -> Cluster:
        return get_object_or_404(Cluster.objects.filter(visible_clusters_q(self.request.user)),
                                 name=self.kwargs["cluster"])

    def kind(self) -> KindInfo:
        return kind_from_url(self.kwargs["kind"])

    def stored_object(self) -> KubeObject:
        info = self.kind()
        queryset = KubeObject.objects.filter(visible_q(self.request.user)).select_related("cluster")
        return get_object_or_404(queryset, cluster__name=self.kwargs["cluster"], namespace=self.kwargs["namespace"],
                                 kind=info.kind, name=self.kwargs["name"])


class ObjectList(ApiView, ListAPIView):
    """Every SMI object you may see, filtered by cluster, namespace, kind, name and labels; or create one."""

    serializer_class = KubeObjectSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = KubeObjectFilterSet
    ordering_fields = OBJECT_ORDERING
    ordering = ["cluster__name", "kind", "namespace", "name"]

    def get_queryset(self) -> QuerySet[KubeObject]:
        # A listed object shows neither its raw nor its normalized JSON, nor anything of its
        # cluster but the name: not loading them halves the cost of a page.
        return KubeObject.objects.filter(kind__in=SMI_KINDS).filter(visible_q(self.request.user)) \
            .select_related("cluster").defer(*LIST_DEFERRED)

    @extend_schema(request=ObjectCreateSerializer, responses={201: EditResultSerializer, 200: EditResultSerializer})
    def post(self, request: Request) -> Response:
        body = ObjectCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        cluster = get_object_or_404(Cluster.objects.filter(visible_clusters_q(request.user)), name=data["cluster"])
        manifest = manifest_from_input(data.get("manifest"), data.get("yaml"))
        result = services.create_object(self.actor(), cluster, manifest, preview=data["preview"])
        return edit_response(result, created=True)


class ObjectDetail(ObjectAddressMixin, ApiView):
    """One object: raw and YAML, normalized fields, effective shares, recent revisions; update or delete it."""

    serializer_class = KubeObjectDetailSerializer

    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(KubeObjectDetailSerializer(self.stored_object()).data)

    @extend_schema(request=ObjectUpdateSerializer, responses={200: EditResultSerializer})
    def put(self, request: Request, **kwargs: Any) -> Response:
        body = ObjectUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        manifest = manifest_from_input(data.get("manifest"), data.get("yaml"))
        result = services.update_object(self.actor(), self.cluster(), self.kind().kind, kwargs["namespace"],
                                         kwargs["name"], manifest, base_resource_version=data["base_resource_version"],
                                         preview=data["preview"], force=data["force"],
                                         drop_fields=data["drop_fields"])
        return edit_response(result)

    @extend_schema(parameters=[DeleteQuerySerializer], responses={200: EditResultSerializer})
    def delete(self, request: Request, **kwargs: Any) -> Response:
        query = DeleteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        result = services.delete_object(self.actor(), self.cluster(), self.kind().kind, kwargs["namespace"],
                                        kwargs["name"], base_resource_version=data["resource_version"],
                                        preview=data["preview"], force=data["force"])
        return edit_response(result)


class ObjectRevisions(ObjectAddressMixin, ApiView, ListAPIView):
    """The object's recorded changes, newest first."""

    serializer_class = RevisionSerializer

    def get_queryset(self) -> QuerySet[Revision]:
        cluster = self.cluster()
        info = self.kind()
        namespace = self.kwargs["namespace"]
        revisions = Revision.objects.filter(cluster=cluster, kind=info.kind, namespace=namespace,
                                            name=self.kwargs["name"])
        return revisions.filter(visible_q(self.request.user)).order_by("-observed_at", "-id")


class ObjectRevert(ObjectAddressMixin, ApiView):
    """Restore the object as it was at one of its revisions (an ordinary, audited edit)."""

    serializer_class = RevertSerializer

    @extend_schema(request=RevertSerializer, responses={200: EditResultSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        body = RevertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        cluster = self.cluster()
        info = self.kind()
        revision = get_object_or_404(
            Revision.objects.filter(visible_q(request.user)).select_related("cluster"), pk=data["revision"],
            cluster=cluster, kind=info.kind, namespace=kwargs["namespace"], name=kwargs["name"],
        )
        result = services.revert_to_revision(self.actor(), revision,
                                             base_resource_version=data["base_resource_version"],
                                             preview=data["preview"], force=data["force"],
                                             drop_fields=data["drop_fields"])
        return edit_response(result)


class SplitEditView(ObjectAddressMixin, ApiView):
    """Base of the TrafficSplit-only edits: any other kind in the URL is a 404."""

    def split_address(self) -> tuple[Cluster, str, str]:
        if self.kind().kind != "TrafficSplit":
            raise_not_found()
        return self.cluster(), self.kwargs["namespace"], self.kwargs["name"]


class SplitWeights(SplitEditView):
    """Set the weights of some or all backends; the response shows the resulting shares."""

    serializer_class = WeightsEditSerializer

    @extend_schema(request=WeightsEditSerializer, responses={200: EditResultSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        body = WeightsEditSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        cluster, namespace, name = self.split_address()
        result = services.set_split_weights(self.actor(), cluster, namespace, name, data["weights"],
                                            base_resource_version=data["base_resource_version"],
                                            preview=data["preview"], force=data["force"],
                                            drop_fields=data["drop_fields"])
        return edit_response(result)


class SplitBackendAdd(SplitEditView):
    """Add a backend Service with its weight."""

    serializer_class = BackendAddSerializer

    @extend_schema(request=BackendAddSerializer, responses={200: EditResultSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        body = BackendAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        cluster, namespace, name = self.split_address()
        result = services.add_backend(self.actor(), cluster, namespace, name, data["service"], data["weight"],
                                      base_resource_version=data["base_resource_version"], preview=data["preview"],
                                      force=data["force"], drop_fields=data["drop_fields"])
        return edit_response(result)


class SplitBackendRemove(SplitEditView):
    """Remove a backend Service."""

    serializer_class = BackendRemoveSerializer

    @extend_schema(request=BackendRemoveSerializer, responses={200: EditResultSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        body = BackendRemoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        cluster, namespace, name = self.split_address()
        result = services.remove_backend(self.actor(), cluster, namespace, name, data["service"],
                                         base_resource_version=data["base_resource_version"], preview=data["preview"],
                                         force=data["force"], drop_fields=data["drop_fields"])
        return edit_response(result)
