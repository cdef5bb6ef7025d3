"""A real API server's refusals as the user sees them: each cause once, 403s that say what to grant."""

from __future__ import annotations

import pytest
from django.test import override_settings

from smi_ui.accounts.roles import Role
from smi_ui.changes.actors import Actor
from smi_ui.changes.errors import ClusterRejected
from smi_ui.changes.services import create_object
from smi_ui.kube.transport import KubeApiError
from smi_ui.kube.writer import ObjectWriter
from smi_ui.sandbox.auth import Rule, User
from tests.edit_support import SPLIT_V4, make_user, resource_version, split_url, token_client

pytestmark = pytest.mark.django_db

NEW_SPLIT = {"apiVersion": SPLIT_V4, "kind": "TrafficSplit", "metadata": {"name": "typo", "namespace": "bookstore"},
             "spec": {"service": "bookstore", "backends": [{"service": "bookstore-v1", "weight": 1}]}}
CAUSE_MESSAGE = 'Invalid value: "string": spec.backends[0].weight in body must be of type integer: "string"'


def invalid_with_repeated_causes(*_args, **_kwargs):
    """A kube-apiserver 422 as sent for one bad field checked by three schema rules: the same cause thrice."""
    cause = {"reason": "FieldValueInvalid", "message": CAUSE_MESSAGE, "field": "spec.backends[0].weight"}
    raise KubeApiError(422, "Invalid", f'TrafficSplit.split.smi-spec.io "typo" is invalid: {CAUSE_MESSAGE}', {
        "kind": "Status", "status": "Failure", "reason": "Invalid", "code": 422,
        "details": {"name": "typo", "group": "split.smi-spec.io", "kind": "TrafficSplit",
                    "causes": [cause, dict(cause), dict(cause)]}})


def test_a_cause_the_cluster_repeats_is_shown_once(world, monkeypatch):
    monkeypatch.setattr(ObjectWriter, "create", invalid_with_repeated_causes)
    actor = Actor.for_user(make_user("pat", Role.POLICY_EDITOR))
    preview = create_object(actor, world.cluster, NEW_SPLIT, preview=True)
    assert preview.verdict.errors == [{"path": "spec.backends[0].weight", "message": CAUSE_MESSAGE,
                                       "code": "FieldValueInvalid"}]
    with pytest.raises(ClusterRejected) as refused:
        create_object(actor, world.cluster, NEW_SPLIT)
    assert len(refused.value.errors) == 1
    assert str(refused.value).count(CAUSE_MESSAGE) == 1


def test_distinct_causes_all_stay(world, monkeypatch):
    def two_causes(*_args, **_kwargs):
        causes = [{"reason": "FieldValueInvalid", "message": "bad", "field": "spec.service"},
                  {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.backends"},
                  {"reason": "FieldValueInvalid", "message": "bad", "field": "spec.service"}]
        raise KubeApiError(422, "Invalid", "invalid", {"details": {"causes": causes}})

    monkeypatch.setattr(ObjectWriter, "create", two_causes)
    preview = create_object(Actor.for_user(make_user("pat", Role.POLICY_EDITOR)), world.cluster, NEW_SPLIT,
                            preview=True)
    assert [e["path"] for e in preview.verdict.errors] == ["spec.service", "spec.backends"]


TOKENS = {"dashboard-token": User("smi-ui", rules=(Rule(("*",)),))}  # may impersonate anyone; "admin" holds nothing
EDIT_SPLITS = Rule(("get", "create", "update", "patch", "delete"), ("split.smi-spec.io",), ("trafficsplits",),
                   ("bookstore",))


@override_settings(WRITE_AS_DASHBOARD_USER=True)
def test_an_impersonated_403_names_the_user_and_groups_sent_and_the_rbac_to_grant(world_factory):
    world = world_factory(tokens=TOKENS, user="smi-ui")
    admin = token_client(make_user("admin", Role.ADMIN))  # the first-run admin: no Django groups
    body = {"base_resource_version": resource_version(world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary",
                                                                 "bookstore")),
            "weights": {"bookstore-v2": 30}}
    refused = admin.post(split_url(world, "weights/"), body, format="json")
    assert refused.status_code == 403
    (error,) = refused.json()["errors"]
    assert error["code"] == "cluster-forbidden"
    message = error["message"]
    assert 'User "admin" cannot' in message  # the cluster's own words first
    assert 'Impersonate-User "admin" with no groups' in message
    assert ("kubectl create role smi-ui-edit-trafficsplits -n bookstore --verb=get,create,update,patch,delete "
            "--resource=trafficsplits.split.smi-spec.io") in message
    assert "--role=smi-ui-edit-trafficsplits --user=admin" in message
    # Granting exactly what the message says lets the same write through.
    world.handle.cluster.authorizer.users_by_name["admin"] = User("admin", rules=(EDIT_SPLITS,))
    accepted = admin.post(split_url(world, "weights/"), body, format="json")
    assert accepted.status_code == 200, accepted.json()
    assert {r.user for r in world.real_writes()} == {"admin"}


@override_settings(WRITE_AS_DASHBOARD_USER=True)
def test_a_dashboard_account_that_may_not_impersonate_is_told_so(world_factory):
    tokens = {"dashboard-token": User("smi-ui", rules=(Rule(("get", "list", "watch", "update")),))}
    world = world_factory(tokens=tokens, user="smi-ui")
    operator = make_user("olivia", Role.OPERATOR)
    operator.groups.create(name="platform")
    body = {"base_resource_version": resource_version(world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary",
                                                                 "bookstore")),
            "weights": {"bookstore-v2": 30}}
    refused = token_client(operator).post(split_url(world, "weights/"), body, format="json")
    assert refused.status_code == 403
    message = refused.json()["errors"][0]["message"]
    assert 'Impersonate-User "olivia" with groups platform' in message
    assert "The dashboard's own account (smi-ui) may not impersonate them" in message
    assert world.real_writes() == []
