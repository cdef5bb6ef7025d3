"""Tokens, per-token rules, access reviews and impersonation, answered in RBAC's words."""

from __future__ import annotations

import pytest

from smi_ui.sandbox import ALLOW_ALL, Rule, User

from .support import Api, split, splits_path

covers = pytest.mark.covers

SPLITS = Rule(("get", "list", "watch"), groups=("split.smi-spec.io",), resources=("trafficsplits",),
              namespaces=("default",))
TOKENS = {
    "admin-token": User("admin", rules=ALLOW_ALL),
    "alice-token": User("alice", groups=("viewers",), rules=(SPLITS,)),
    "bob-token": User("bob", rules=(
        Rule(("impersonate",), groups=("",), resources=("users",), names=("alice",)),
        Rule(("impersonate",), groups=("",), resources=("groups",), names=("viewers",)),
    )),
}


@pytest.fixture
def cluster(sandbox_factory):
    return sandbox_factory(tokens=TOKENS)


@covers("auth.tokens")
def test_requests_without_a_valid_token_are_401(cluster):
    for api in (Api(cluster.url), Api(cluster.url, token="wrong")):
        answer = api.get(splits_path())
        assert answer.status == 401
        assert answer.body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    assert Api(cluster.url).get("/version").status == 200
    assert Api(cluster.url, token="admin-token").get(splits_path()).status == 200


@covers("auth.forbidden")
def test_rules_limit_verbs_resources_and_namespaces_with_rbac_wording(cluster):
    alice = Api(cluster.url, token="alice-token")
    assert alice.get(splits_path()).status == 200
    Api(cluster.url, token="admin-token").post(splits_path(), split("web"))
    patch = alice.patch(splits_path() + "/web", {"spec": {"service": "x"}})
    assert (patch.status, patch.reason) == (403, "Forbidden")
    assert patch.message == ('trafficsplits.split.smi-spec.io "web" is forbidden: User "alice" cannot patch resource '
                             '"trafficsplits" in API group "split.smi-spec.io" in the namespace "default"')
    assert patch.body["details"] == {"name": "web", "group": "split.smi-spec.io", "kind": "trafficsplits"}
    listing = alice.get(splits_path("kube-system"))
    assert listing.message == ('trafficsplits.split.smi-spec.io is forbidden: User "alice" cannot list resource '
                               '"trafficsplits" in API group "split.smi-spec.io" in the namespace "kube-system"')
    namespaces = alice.get("/api/v1/namespaces")
    assert namespaces.message == ('namespaces is forbidden: User "alice" cannot list resource "namespaces" in API '
                                  'group "" at the cluster scope')
    assert alice.get("/apis").status == 200


@covers("auth.access-review")
def test_self_subject_reviews_answer_per_token(cluster):
    alice = Api(cluster.url, token="alice-token")

    def can(verb: str, namespace: str = "default") -> bool:
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {
            "resourceAttributes": {"verb": verb, "group": "split.smi-spec.io", "resource": "trafficsplits",
                                   "namespace": namespace}}}
        answer = alice.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review)
        assert answer.status == 201
        return answer.body["status"]["allowed"]

    assert can("list") and not can("delete") and not can("list", "other")
    rules = alice.post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                       {"spec": {"namespace": "default"}}).body["status"]
    assert {"verbs": ["get", "list", "watch"], "apiGroups": ["split.smi-spec.io"],
            "resources": ["trafficsplits"]} in rules["resourceRules"]
    whoami = alice.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", {}).body
    assert whoami["status"]["userInfo"]["username"] == "alice"


@covers("auth.impersonation")
def test_impersonation_is_honoured_only_for_allowed_users_and_groups(cluster):
    as_alice = Api(cluster.url, token="bob-token", headers={"Impersonate-User": "alice"})
    assert as_alice.get(splits_path()).status == 200
    assert as_alice.post(splits_path(), split("web")).status == 403
    as_carol = Api(cluster.url, token="bob-token", headers={"Impersonate-User": "carol"})
    refused = as_carol.get(splits_path())
    assert refused.status == 403
    assert refused.message == ('users "carol" is forbidden: User "bob" cannot impersonate resource "users" in API '
                               'group "" at the cluster scope')
    with_group = Api(cluster.url, token="bob-token",
                     headers={"Impersonate-User": "alice", "Impersonate-Group": "admins"})
    assert with_group.get(splits_path()).status == 403
    not_allowed = Api(cluster.url, token="alice-token", headers={"Impersonate-User": "admin"})
    assert not_allowed.get(splits_path()).status == 403
