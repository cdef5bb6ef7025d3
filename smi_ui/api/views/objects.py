"""SMI objects: list, detail with history, and every edit (each a call to `smi_ui.changes.services`).

Objects are addressed like Kubernetes addresses them:
`/api/objects/{cluster}/{namespace}/{kind plural}/{name}/`. An object you may not see
answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.filters import OrderingFilter
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from smi_ui.accounts.permissions import visible_clusters_q, visible_q
from smi_ui.accounts.roles import Action
from smi_ui.changes import services
from smi_ui.changes.errors import InvalidEdit, ObjectNotFound, problem
from smi_ui.changes.manifests import manifest_from_input
from smi_ui.changes.pipeline import EditResult, Target, authorize, preparing
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.smi.kinds import REGISTRY, KindInfo

from ..errors import flatten
from ..filtersets import KubeObjectFilterSet
from ..parsers import PayloadTooLarge
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
    WeightsPlanResultSerializer,
    WeightsPlanSerializer,
)
from .base import ApiView
from .inventory import OBJECT_ORDERING

LIST_DEFERRED = ("raw", "normalized", "cluster__credentials_encrypted", "cluster__served_kinds",
                 "cluster__state_detail", "cluster__last_error")


#: The longest cluster, namespace, kind and name a write accepts (Kubernetes' own limits), in its URL or manifest.
ADDRESS_LIMITS = {"cluster": 63, "namespace": 63, "kind": 63, "name": 253}


def kind_from_url(kind: str) -> KindInfo:
    """The kind named in a URL (plural, as Kubernetes spells it, or the kind name); 404 otherwise."""
    info = _kind_named(kind)
    if info is None:
        raise_not_found()
    return info


def _kind_named(kind: str) -> KindInfo | None:
    return REGISTRY.from_url(kind)


def _not_found() -> ObjectNotFound:
    return ObjectNotFound([problem("", "no such object", "not-found")])


def address_problems(parts: dict[str, Any]) -> list[dict[str, str]]:
    """A problem for each part longer than Kubernetes allows (keyed `cluster`, `metadata.name`...)."""
    errors = []
    for path, value in parts.items():
        limit = ADDRESS_LIMITS[path.rsplit(".", 1)[-1]]
        if isinstance(value, str) and len(value) > limit:
            errors.append(problem(path, f"at most {limit} characters, not {len(value)}", "too-long"))
    return errors


class RefusedBody(InvalidEdit):
    """A request body DRF could not read (too large, not JSON, too deep), as an audited refusal."""

    def __init__(self, error: exceptions.APIException) -> None:
        detail = error.detail if isinstance(error, exceptions.ValidationError) else [error.detail]
        super().__init__(flatten(detail))
        self.status = error.status_code


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The body (or query) checked by `serializer_class`; any refusal is an audited InvalidEdit."""
    try:
        body = serializer_class(data=data() if callable(data) else data)
        valid = body.is_valid()
    except exceptions.APIException as error:
        raise RefusedBody(error) from None
    except RequestDataTooBig:
        raise RefusedBody(PayloadTooLarge()) from None
    if not valid:
        raise InvalidEdit(flatten(body.errors))
    return body.validated_data


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

    @contextlib.contextmanager
    def write_attempt(self, action: str, permission: Action, *, kinds: frozenset[str] | None = None
                      ) -> Iterator[tuple[Cluster, KindInfo]]:
        """The address checked and the exact permission decided before the body is read; every refusal audited.

        Refusals raised inside the block (the body's) are audited as this attempt as well.
        """
        actor = self.actor()  # type: ignore[attr-defined]
        parts = {key: self.kwargs[key] for key in ADDRESS_LIMITS}
        too_long = address_problems(parts)
        cluster = None if too_long else Cluster.objects.filter(visible_clusters_q(self.request.user),
                                                               name=parts["cluster"]).first()
        address = {"kind": parts["kind"], "namespace": parts["namespace"], "name": parts["name"]}
        if cluster is None:
            with preparing(actor, action, permission, parts["cluster"], **address):
                raise InvalidEdit(too_long) if too_long else _not_found()
        with preparing(actor, action, permission, cluster, **address):
            info = _kind_named(parts["kind"])
            if info is None or (kinds is not None and info.kind not in kinds):
                raise _not_found()
            authorize(actor, permission, action, Target(cluster, info, parts["namespace"], parts["name"]))
            yield cluster, info

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
        return KubeObject.objects.filter(kind__in=REGISTRY.names()).filter(visible_q(self.request.user)) \
            .select_related("cluster").defer(*LIST_DEFERRED)

    @extend_schema(request=ObjectCreateSerializer, responses={201: EditResultSerializer, 200: EditResultSerializer})
    def post(self, request: Request) -> Response:
        actor = self.actor()
        with preparing(actor, "create", Action.EDIT_POLICY, ""):  # the (JSON) body names the cluster
            data = validated(ObjectCreateSerializer, lambda: request.data)
            cluster = Cluster.objects.filter(visible_clusters_q(request.user), name=data["cluster"]).first()
            if cluster is None:
                raise ObjectNotFound([problem("cluster", f"no cluster {data['cluster']!r} that you may see",
                                              "not-found")])
        with preparing(actor, "create", Action.EDIT_POLICY, cluster):  # who may create nowhere is refused here
            manifest = manifest_from_input(data.get("manifest"), data.get("yaml"))
            metadata = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else {}
            too_long = address_problems({f"metadata.{key}": metadata.get(key) for key in ("namespace", "name")})
            if too_long:
                raise InvalidEdit(too_long)
        result = services.create_object(actor, cluster, manifest, preview=data["preview"])
        return edit_response(result, created=True)


class ObjectDetail(ObjectAddressMixin, ApiView):
    """One object: raw and YAML, normalized fields, effective shares, recent revisions; update or delete it."""

    serializer_class = KubeObjectDetailSerializer

    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(KubeObjectDetailSerializer(self.stored_object()).data)

    @extend_schema(request=ObjectUpdateSerializer, responses={200: EditResultSerializer})
    def put(self, request: Request, **kwargs: Any) -> Response:
        with self.write_attempt("update", Action.EDIT_POLICY) as (cluster, info):
            data = validated(ObjectUpdateSerializer, lambda: request.data)
            manifest = manifest_from_input(data.get("manifest"), data.get("yaml"))
        result = services.update_object(self.actor(), cluster, info.kind, kwargs["namespace"],
                                         kwargs["name"], manifest, base_resource_version=data["base_resource_version"],
                                         preview=data["preview"], force=data["force"],
                                         drop_fields=data["drop_fields"])
        return edit_response(result)

    @extend_schema(parameters=[DeleteQuerySerializer], responses={200: EditResultSerializer})
    def delete(self, request: Request, **kwargs: Any) -> Response:
        with self.write_attempt("delete", Action.EDIT_POLICY) as (cluster, info):
            data = validated(DeleteQuerySerializer, request.query_params)
        result = services.delete_object(self.actor(), cluster, info.kind, kwargs["namespace"],
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
        with self.write_attempt("revert", Action.EDIT_POLICY) as (cluster, info):
            data = validated(RevertSerializer, lambda: request.data)
            revision = Revision.objects.filter(visible_q(request.user)).select_related("cluster").filter(
                pk=data["revision"], cluster=cluster, kind=info.kind, namespace=kwargs["namespace"],
                name=kwargs["name"]).first()
            if revision is None:
                raise ObjectNotFound([problem("revision", f"no revision {data['revision']} of this object",
                                              "not-found")])
        result = services.revert_to_revision(self.actor(), revision,
                                             base_resource_version=data["base_resource_version"],
                                             preview=data["preview"], force=data["force"],
                                             drop_fields=data["drop_fields"])
        return edit_response(result)


def _weighted_kinds() -> frozenset[str]:
    return frozenset(spec.kind for spec in REGISTRY.with_trait("weighted"))


class SplitEditView(ObjectAddressMixin, ApiView):
    """Base of the weight and backend edits, for kinds with weighted backends: any other kind in the URL is a 404."""

    permission = Action.EDIT_POLICY

    def split_body(self, action: str, serializer_class: type[serializers.Serializer]
                   ) -> tuple[Cluster, str, str, dict[str, Any]]:
        """The split's address and the edit's body, each refusal audited as `action`."""
        with self.write_attempt(action, self.permission, kinds=_weighted_kinds()) as (cluster, _):
            data = validated(serializer_class, lambda: self.request.data)
        return cluster, self.kwargs["namespace"], self.kwargs["name"], data


class SplitWeights(SplitEditView):
    """Set the weights of some or all backends; the response shows the resulting shares."""

    serializer_class = WeightsEditSerializer
    permission = Action.EDIT_WEIGHTS

    @extend_schema(request=WeightsEditSerializer, responses={200: EditResultSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        cluster, namespace, name, data = self.split_body("set-weights", WeightsEditSerializer)
        result = services.set_split_weights(self.actor(), cluster, namespace, name, data["weights"],
                                            kind=self.kind().kind,
                                            base_resource_version=data["base_resource_version"],
                                            preview=data["preview"], force=data["force"],
                                            drop_fields=data["drop_fields"])
        return edit_response(result)


class WeightsPlan(ObjectAddressMixin, ApiView):
    """What spread evenly, promote or roll back would set, computed exactly on the server; nothing is written.

    Needs only to see the object: the weights page of a read-only user shows the same plan, and
    applying it is the weights edit (preview, then apply) with its own permission.
    """

    serializer_class = WeightsPlanSerializer

    @extend_schema(request=WeightsPlanSerializer, responses={200: WeightsPlanResultSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        obj = self.stored_object()
        if not REGISTRY.has_trait(obj.kind, "weighted"):
            raise_not_found()
        body = WeightsPlanSerializer(data=request.data)
        if not body.is_valid():
            raise InvalidEdit(flatten(body.errors))
        data = body.validated_data
        plan = services.plan_weights(obj.raw or {}, data["action"], data["weights"], data["locked"], data["scale"])
        return Response(WeightsPlanResultSerializer(plan).data)


class SplitBackendAdd(SplitEditView):
    """Add a backend Service with its weight."""

    serializer_class = BackendAddSerializer

    @extend_schema(request=BackendAddSerializer, responses={200: EditResultSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        cluster, namespace, name, data = self.split_body("add-backend", BackendAddSerializer)
        result = services.add_backend(self.actor(), cluster, namespace, name, data["service"], data["weight"],
                                      kind=self.kind().kind,
                                      base_resource_version=data["base_resource_version"], preview=data["preview"],
                                      force=data["force"], drop_fields=data["drop_fields"])
        return edit_response(result)


class SplitBackendRemove(SplitEditView):
    """Remove a backend Service."""

    serializer_class = BackendRemoveSerializer

    @extend_schema(request=BackendRemoveSerializer, responses={200: EditResultSerializer})
    def post(self, request: Request, **kwargs: Any) -> Response:
        cluster, namespace, name, data = self.split_body("remove-backend", BackendRemoveSerializer)
        result = services.remove_backend(self.actor(), cluster, namespace, name, data["service"],
                                         kind=self.kind().kind,
                                         base_resource_version=data["base_resource_version"], preview=data["preview"],
                                         force=data["force"], drop_fields=data["drop_fields"])
        return edit_response(result)
