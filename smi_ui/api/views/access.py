"""Grants (admins) and API tokens (everyone, for themselves); changes to either are audited."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.generics import ListCreateAPIView, RetrieveDestroyAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from smi_ui.accounts.audit import record_access_change
from smi_ui.accounts.models import ApiToken, Grant
from smi_ui.accounts.permissions import may
from smi_ui.accounts.roles import Action
from smi_ui.accounts.throttles import TokenWriteThrottle
from smi_ui.accounts.tokens import TokenRuleError, issue_token, revoke_token_audited
from smi_ui.audit.models import Outcome

from ..permissions import CanManageAccess
from ..serializers import ApiTokenCreatedSerializer, ApiTokenSerializer, GrantSerializer, MeSerializer
from .base import ApiView


def _audit_access_change(action: str, what: str, summary: str) -> None:
    record_access_change(action, what, summary)


class GrantList(ApiView, ListCreateAPIView):
    """Every grant; create one (a role for a user or a group, optionally limited to a cluster/namespace)."""

    serializer_class = GrantSerializer
    permission_classes = [CanManageAccess]
    queryset = Grant.objects.select_related("user", "group", "cluster").order_by("id")

    def perform_create(self, serializer: GrantSerializer) -> None:
        grant = serializer.save()
        _audit_access_change("grant", "Grant", f"granted {grant}")


class GrantDetail(ApiView, RetrieveDestroyAPIView):
    serializer_class = GrantSerializer
    permission_classes = [CanManageAccess]
    queryset = Grant.objects.select_related("user", "group", "cluster")

    def perform_destroy(self, instance: Grant) -> None:
        summary = f"revoked {instance}"
        instance.delete()
        _audit_access_change("revoke-grant", "Grant", summary)


class TokenList(ApiView, ListCreateAPIView):
    """Your API tokens (never their values); issue a new one, shown once in the response."""

    serializer_class = ApiTokenSerializer
    throttle_classes = [TokenWriteThrottle]
    throttle_scope = "tokens"

    def get_queryset(self) -> QuerySet[ApiToken]:
        return ApiToken.objects.filter(user=self.request.user).select_related("user")

    @extend_schema(request=ApiTokenSerializer, responses={201: ApiTokenCreatedSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ApiTokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issuer = request.auth if isinstance(request.auth, ApiToken) else None
        if issuer is not None and not issuer.may_issue_tokens:
            message = "this token may not issue tokens: issue one from a browser session or `manage.py tokens`"
            record_access_change("issue-token", "ApiToken", f"token {issuer.prefix}… tried to issue a token",
                                 outcome=Outcome.DENIED, message=message)
            raise PermissionDenied(message)
        try:
            record, token = issue_token(request.user, body.validated_data["name"],
                                        expires_at=body.validated_data.get("expires_at"),
                                        may_issue_tokens=body.validated_data.get("may_issue_tokens", False),
                                        issued_by=issuer)
        except TokenRuleError as error:
            record_access_change("issue-token", "ApiToken", "refused to issue a token", outcome=Outcome.REJECTED,
                                 message=error.message,
                                 errors=[{"path": error.field, "message": error.message, "code": error.code}])
            raise ValidationError({error.field: [ErrorDetail(error.message, code=error.code)]}) from None
        _audit_access_change("issue-token", "ApiToken", f"issued token {record.prefix}… ({record.name})")
        data = ApiTokenCreatedSerializer(record).data
        data["token"] = token
        return Response(data, status=status.HTTP_201_CREATED)


class TokenDetail(ApiView, RetrieveDestroyAPIView):
    """One of your tokens; DELETE revokes it (admins may revoke anyone's)."""

    serializer_class = ApiTokenSerializer
    throttle_classes = [TokenWriteThrottle]
    throttle_scope = "tokens"

    def get_queryset(self) -> QuerySet[ApiToken]:
        tokens = ApiToken.objects.select_related("user")
        if may(self.request.user, Action.MANAGE_ACCESS, cluster_id=None, namespace=""):
            return tokens
        return tokens.filter(user=self.request.user)

    def perform_destroy(self, instance: ApiToken) -> None:
        revoke_token_audited(instance)


class Me(ApiView):
    """Who you are and which roles you hold where."""

    serializer_class = MeSerializer

    def get(self, request: Request) -> Response:
        user = request.user
        grants = Grant.objects.filter(user=user).select_related("cluster")
        group_grants = Grant.objects.filter(group__in=user.groups.all()).select_related("cluster", "group")
        rows = [{"role": g.role, "cluster": g.cluster.name if g.cluster_id else None, "namespace": g.namespace,
                 "via_group": None} for g in grants]
        rows += [{"role": g.role, "cluster": g.cluster.name if g.cluster_id else None, "namespace": g.namespace,
                  "via_group": g.group.name} for g in group_grants]
        return Response(MeSerializer({"username": user.get_username(), "is_superuser": user.is_superuser,
                                      "grants": rows}).data)
