"""What the API reads and returns. Clusters never expose credentials; tokens never expose digests."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from smi_ui.accounts.models import ApiToken, Grant
from smi_ui.accounts.roles import Role
from smi_ui.audit.models import AuditEntry
from smi_ui.changes.diff import to_yaml
from smi_ui.changes.ownership import controller_of
from smi_ui.clusters.models import Cluster
from smi_ui.clusters.visibility import CLUSTER_WIDE_FIELDS, sees_whole_cluster
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.smi.kinds import REGISTRY
from smi_ui.smi.names import is_dns1123_label
from smi_ui.smi.shares import REBALANCE_ACTIONS

# --- errors -----------------------------------------------------------------------------------


class ErrorItemSerializer(serializers.Serializer):
    path = serializers.CharField(allow_blank=True)
    message = serializers.CharField(allow_blank=True)
    code = serializers.CharField(allow_blank=True)


class ErrorSerializer(serializers.Serializer):
    """Every failure: the problems with their field paths; conflicts add the current object."""

    errors = ErrorItemSerializer(many=True)
    current = serializers.JSONField(required=False, allow_null=True)
    controller = serializers.DictField(child=serializers.CharField(), required=False)
    audit_id = serializers.IntegerField(required=False)


# --- clusters and inventory -------------------------------------------------------------------


class ClusterSerializer(serializers.ModelSerializer):
    """A cluster as users may see it: where and how it is, never how we authenticate to it.

    Its API server, version and sync error are null for a reader of some namespaces only,
    as on the overview (smi_ui.clusters.visibility decides for both).
    """

    api_server = serializers.CharField(read_only=True, allow_null=True,
                                       help_text="null unless you may read the whole cluster")
    server_version = serializers.CharField(read_only=True, allow_null=True,
                                           help_text="null unless you may read the whole cluster")
    last_error = serializers.CharField(read_only=True, allow_null=True,
                                       help_text="null unless you may read the whole cluster")

    class Meta:
        model = Cluster
        fields = ["id", "name", "api_server", "auth_method", "is_demo", "enabled", "state", "state_detail",
                  "last_error", "stale_since", "last_event_at", "server_version", "served_kinds", "discovered_at"]
        read_only_fields = fields

    def to_representation(self, instance: Cluster) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not sees_whole_cluster(request.user, instance):
            data.update(dict.fromkeys(CLUSTER_WIDE_FIELDS))
        return data


def object_url(obj: KubeObject) -> str:
    info = REGISTRY.get(obj.kind)
    plural = info.plural if info else obj.kind.lower()
    return f"/api/objects/{obj.cluster.name}/{obj.namespace}/{plural}/{obj.name}/"


class KubeObjectSerializer(serializers.ModelSerializer):
    """One object as listed: identity, version and labels."""

    cluster = serializers.CharField(source="cluster.name", read_only=True)
    url = serializers.SerializerMethodField()
    problem_count = serializers.SerializerMethodField()

    class Meta:
        model = KubeObject
        fields = ["id", "cluster", "api_version", "kind", "namespace", "name", "uid", "resource_version", "labels",
                  "problem_count", "observed_at", "url"]
        read_only_fields = fields

    def get_url(self, obj: KubeObject) -> str:
        return object_url(obj)

    def get_problem_count(self, obj: KubeObject) -> int:
        return len(obj.problems or [])


class ShareSerializer(serializers.Serializer):
    exact = serializers.CharField()
    percent = serializers.FloatField()


class ControllerSerializer(serializers.Serializer):
    name = serializers.CharField()
    owner = serializers.CharField()
    evidence = serializers.CharField()


class RevisionSerializer(serializers.ModelSerializer):
    """One recorded change of an object (by sync, the dashboard or the CLI)."""

    class Meta:
        model = Revision
        fields = ["id", "api_version", "kind", "namespace", "name", "uid", "resource_version", "change", "before",
                  "after", "field_manager", "source", "actor", "observed_at"]
        read_only_fields = fields


class KubeObjectDetailSerializer(KubeObjectSerializer):
    """One object with everything a reader needs: raw and YAML, normalized fields, shares, history."""

    annotations = serializers.SerializerMethodField()
    yaml = serializers.SerializerMethodField()
    shares = serializers.SerializerMethodField()
    controller = serializers.SerializerMethodField()
    revisions = serializers.SerializerMethodField()

    class Meta(KubeObjectSerializer.Meta):
        fields = [*KubeObjectSerializer.Meta.fields, "annotations", "raw", "yaml", "normalized", "problems", "shares",
                  "controller", "revisions"]
        read_only_fields = fields

    def get_annotations(self, obj: KubeObject) -> dict[str, str]:
        return dict(((obj.raw or {}).get("metadata") or {}).get("annotations") or {})

    def get_yaml(self, obj: KubeObject) -> str:
        return to_yaml(obj.raw)

    @extend_schema_field(serializers.DictField(child=ShareSerializer(), allow_null=True))
    def get_shares(self, obj: KubeObject) -> dict[str, Any] | None:
        return (obj.normalized or {}).get("shares") if REGISTRY.has_trait(obj.kind, "weighted") else None

    @extend_schema_field(ControllerSerializer(allow_null=True))
    def get_controller(self, obj: KubeObject) -> dict[str, str] | None:
        controller = controller_of(obj.raw or {})
        return controller.as_dict() if controller else None

    @extend_schema_field(RevisionSerializer(many=True))
    def get_revisions(self, obj: KubeObject) -> list[dict[str, Any]]:
        recent = Revision.objects.filter(cluster_id=obj.cluster_id, kind=obj.kind, namespace=obj.namespace,
                                         name=obj.name)[:20]
        return RevisionSerializer(recent, many=True).data


# --- edits ------------------------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string"}]})
class WeightField(serializers.Field):
    """An integer weight, or a Kubernetes quantity string (`500m`) for v1alpha1 splits; the split's version decides."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            raise serializers.ValidationError("a weight is an integer or a quantity string such as 500m",
                                              code="type")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class EditOptionsSerializer(serializers.Serializer):
    preview = serializers.BooleanField(default=False, help_text="Return the diff and the dry-run verdict; no write")
    force = serializers.BooleanField(default=False, help_text="Edit even if a controller manages the object "
                                                              "(needs the admin role)")
    drop_fields = serializers.ListField(
        child=serializers.CharField(max_length=300), max_length=64, required=False, default=list,
        help_text="Fields the write may lose because the version it is written in cannot hold them "
                  "(`[\"spec.matches\"]`); without them such a write is refused with 409 naming the fields")


class BasedEditSerializer(EditOptionsSerializer):
    base_resource_version = serializers.CharField(max_length=64, help_text="The resourceVersion the edit is based on")


class WeightsEditSerializer(BasedEditSerializer):
    weights = serializers.DictField(child=WeightField(), allow_empty=False,
                                    help_text="backend Service -> weight; backends not named keep their weight")


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string"}]})
class ExactWeightField(serializers.Field):
    """A weight as an integer, a decimal or an exact fraction string (`"1/3"`); read exactly."""

    def to_internal_value(self, data: Any) -> Fraction:
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            raise serializers.ValidationError("a weight is a number or a fraction such as 1/3", code="type")
        try:
            value = Fraction(data) if isinstance(data, int | str) else Fraction(Decimal(repr(data)))
        except (ValueError, ZeroDivisionError, ArithmeticError):
            raise serializers.ValidationError(f"{data!r} is not a number", code="type") from None
        if value < 0:
            raise serializers.ValidationError("weights must not be negative", code="weight-negative")
        return value

    def to_representation(self, value: Any) -> Any:
        return exact_number(value)


def exact_number(value: Fraction) -> int | str:
    """A whole weight as an integer, any other as the exact fraction `"p/q"`."""
    return int(value) if value.denominator == 1 else str(value)


class WeightsPlanSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=REBALANCE_ACTIONS,
                                     help_text="even: spread evenly; promote: all to the last backend; "
                                               "rollback: all to the first")
    weights = serializers.DictField(child=ExactWeightField(), required=False, default=dict,
                                    help_text="backend -> the weight the page shows; backends not named keep "
                                              "the object's weight")
    locked = serializers.ListField(child=serializers.CharField(max_length=253), required=False, default=list,
                                   max_length=1000, help_text="backends whose weight stays as it is")
    scale = serializers.IntegerField(min_value=1, max_value=1_000_000,
                                     help_text="what the weights add up to (the page's slider range)")


class WeightsPlanResultSerializer(serializers.Serializer):
    weights = serializers.DictField(child=ExactWeightField(), help_text="backend -> new weight, exactly")
    shares = serializers.DictField(child=ShareSerializer(), help_text="backend -> the share it would receive")


class BackendAddSerializer(BasedEditSerializer):
    service = serializers.CharField(max_length=253)
    weight = WeightField()


class BackendRemoveSerializer(BasedEditSerializer):
    service = serializers.CharField(max_length=253)


class ManifestInputSerializer(serializers.Serializer):
    manifest = serializers.DictField(required=False, help_text="The object as JSON")
    yaml = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                 help_text="The object as YAML text")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("manifest" in attrs) == ("yaml" in attrs):
            raise serializers.ValidationError({"manifest": ["give exactly one of `manifest` and `yaml`"]})
        return attrs


class ObjectCreateSerializer(ManifestInputSerializer):
    cluster = serializers.CharField(max_length=63)
    preview = serializers.BooleanField(default=False)


class ObjectUpdateSerializer(ManifestInputSerializer, BasedEditSerializer):
    pass


class RevertSerializer(EditOptionsSerializer):
    revision = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    base_resource_version = serializers.CharField(max_length=64, allow_blank=True,
                                                  help_text="The current resourceVersion (empty if the object "
                                                            "no longer exists)")


class DeleteQuerySerializer(EditOptionsSerializer):
    resource_version = serializers.CharField(max_length=64)
    drop_fields = None  # a deletion writes nothing back


class VerdictSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()
    status = serializers.IntegerField()
    message = serializers.CharField(allow_blank=True)
    errors = ErrorItemSerializer(many=True)


class EditResultSerializer(serializers.Serializer):
    """What an edit did, or (previewed) would do: the object, its shares, the diff, the cluster's verdict."""

    action = serializers.CharField()
    dry_run = serializers.BooleanField()
    forced = serializers.BooleanField()
    api_version = serializers.CharField()
    object = serializers.JSONField(allow_null=True)
    resource_version = serializers.SerializerMethodField()
    shares = serializers.DictField(child=ShareSerializer(), allow_null=True)
    before_yaml = serializers.CharField(allow_blank=True)
    after_yaml = serializers.CharField(allow_blank=True)
    diff = serializers.CharField(allow_blank=True)
    verdict = VerdictSerializer()
    audit_id = serializers.IntegerField(allow_null=True)
    lost_fields = serializers.ListField(child=serializers.DictField(child=serializers.CharField()),
                                        help_text="Fields the object holds that this write loses (or, previewed, "
                                                  "would lose): they are in `diff` as removed")

    def get_resource_version(self, result: Any) -> str:
        return str(((result.object or {}).get("metadata") or {}).get("resourceVersion") or "")


# --- audit ------------------------------------------------------------------------------------


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "sequence", "created_at", "actor", "source", "ip", "user_agent", "request_id", "action",
                  "cluster_id", "cluster_name", "api_version", "kind", "namespace", "name", "base_resource_version",
                  "resource_version", "dry_run", "forced", "outcome", "summary", "message", "errors", "before",
                  "after", "prev_hash", "hash"]
        read_only_fields = fields


# --- access -----------------------------------------------------------------------------------


class GrantSerializer(serializers.ModelSerializer):
    """A role for a user or a group, optionally limited to one cluster and one namespace."""

    user = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.all(),
                                        required=False, allow_null=True)
    group = serializers.SlugRelatedField(slug_field="name", queryset=Group.objects.all(), required=False,
                                         allow_null=True)
    cluster = serializers.SlugRelatedField(slug_field="name", queryset=Cluster.objects.all(), required=False,
                                           allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices)
    namespace = serializers.CharField(max_length=63, required=False, allow_blank=True,
                                      help_text="A namespace name; empty for every namespace")

    class Meta:
        model = Grant
        fields = ["id", "role", "user", "group", "cluster", "namespace", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_namespace(self, value: str) -> str:
        if value and not is_dns1123_label(value):
            raise serializers.ValidationError("a namespace name is a DNS-1123 label (lowercase, digits, '-')")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("user")) == bool(attrs.get("group")):
            raise serializers.ValidationError({"user": ["grant to exactly one of `user` and `group`"]})
        return attrs


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as listed: never its value, never its digest."""

    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at",
                  "may_issue_tokens"]
        read_only_fields = ["id", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
        extra_kwargs = {"name": {"max_length": 100}}


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    """The response to issuing a token: the only time its value is shown."""

    token = serializers.CharField(read_only=True)

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class ScopeSerializer(serializers.Serializer):
    role = serializers.CharField()
    cluster = serializers.CharField(allow_null=True)
    namespace = serializers.CharField(allow_blank=True)
    via_group = serializers.CharField(allow_null=True)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    is_superuser = serializers.BooleanField()
    grants = ScopeSerializer(many=True)


@extend_schema_field(OpenApiTypes.STR)
class TextExport(serializers.Serializer):
    """CSV or JSON Lines text."""
