"""API tokens, CSRF on session writes, grants through the API, and scopes via groups."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from smi_ui.accounts.models import ApiToken, Grant
from smi_ui.accounts.permissions import may
from smi_ui.accounts.roles import Action, Role
from smi_ui.audit.models import AuditEntry
from tests.edit_support import SPLIT_V4, make_user, resource_version, split_url, token_client

pytestmark = pytest.mark.django_db


def test_a_token_is_shown_once_stored_hashed_and_dies_when_revoked():
    user = make_user("bot", Role.VIEWER)
    session = APIClient()
    session.force_authenticate(user)
    created = session.post("/api/access/tokens/", {"name": "ci"}, format="json")
    assert created.status_code == 201
    token = created.json()["token"]
    record = ApiToken.objects.get(pk=created.json()["id"])
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ApiToken.objects.values().get(pk=record.pk))
    listed = session.get("/api/access/tokens/").json()["results"]
    assert "token" not in listed[0] and "digest" not in listed[0]
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bearer.get("/api/me/").json()["username"] == "bot"
    assert session.delete(f"/api/access/tokens/{record.pk}/").status_code == 204
    assert bearer.get("/api/me/").status_code == 401
    bearer.credentials(HTTP_AUTHORIZATION="Bearer smiui_not-a-real-token")
    assert bearer.get("/api/me/").status_code == 401


def test_session_writes_need_the_csrf_token(world):
    operator = make_user("olivia", Role.OPERATOR)
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="olivia", password="olivia-password-long")
    base = resource_version(world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore"))
    body = {"base_resource_version": base, "weights": {"bookstore-v2": 30}}
    refused = client.post(split_url(world, "weights/"), body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["errors"][0]["message"]
    assert world.writes() == []
    secret = get_random_string(32)  # what the csrftoken cookie of a page view holds
    client.cookies["csrftoken"] = secret
    accepted = client.post(split_url(world, "weights/"), body, format="json", HTTP_X_CSRFTOKEN=secret)
    assert accepted.status_code == 200, accepted.json()
    entry = AuditEntry.objects.get(pk=accepted.json()["audit_id"])
    assert (entry.actor, entry.source) == ("olivia", "dashboard")
    assert operator.pk == entry.actor_id


def test_admins_manage_grants_and_every_change_is_audited(world):
    admin = token_client(make_user("ada", Role.ADMIN))
    make_user("newcomer")
    created = admin.post("/api/access/grants/", {"role": "operator", "user": "newcomer",
                                                 "cluster": world.cluster.name, "namespace": "bookstore"},
                         format="json")
    assert created.status_code == 201, created.json()
    both = admin.post("/api/access/grants/", {"role": "viewer", "user": "newcomer", "group": "admins"},
                      format="json")
    assert both.status_code == 400
    bad_namespace = admin.post("/api/access/grants/", {"role": "viewer", "user": "newcomer",
                                                       "namespace": "Not A Namespace"}, format="json")
    assert bad_namespace.status_code == 400 and bad_namespace.json()["errors"][0]["path"] == "namespace"
    assert admin.delete(f"/api/access/grants/{created.json()['id']}/").status_code == 204
    assert list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True)) == ["grant",
                                                                                              "revoke-grant"]


def test_roles_granted_to_a_group_apply_to_its_members(world):
    group = Group.objects.create(name="canary-team")
    Grant.objects.create(group=group, role=Role.OPERATOR, cluster=world.cluster, namespace="bookstore")
    member = make_user("mia")
    member.groups.add(group)
    assert may(member, Action.EDIT_WEIGHTS, cluster_id=world.cluster.pk, namespace="bookstore", kind="TrafficSplit")
    assert not may(member, Action.EDIT_WEIGHTS, cluster_id=world.cluster.pk, namespace="storefront")
    assert not may(member, Action.EDIT_WEIGHTS, cluster_id=world.cluster.pk, namespace="bookstore",
                   kind="TrafficTarget")
    assert not may(member, Action.EDIT_POLICY, cluster_id=world.cluster.pk, namespace="bookstore")


def test_tokens_command_prints_a_working_token_once(capsys):
    make_user("bot", Role.VIEWER)
    call_command("tokens", "create", "bot", "--name", "deploys")
    token = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/me/").status_code == 200
    call_command("tokens", "list")
    assert token not in capsys.readouterr().out
