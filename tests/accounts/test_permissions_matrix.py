"""Every role x every endpoint x in-scope / out-of-scope namespace gives the expected status.

Scoped roles are granted on namespace `bookstore` of the sandbox cluster; `storefront` is
out of their scope. What a user may not see answers 404 (like a missing object); what
they may see but not change answers 403. Writes are real (edits reach the sandbox)
except deletion and creation, which are previewed so the table's objects stay put.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.audit.models import AuditEntry
from smi_ui.audit.services import Attempt, record_attempt
from tests.edit_support import SPLIT_V4, World, make_user, resource_version, token_client

pytestmark = pytest.mark.django_db

IN, OUT = "bookstore", "storefront"
SPLITS = {IN: "bookstore-canary", OUT: "catalog-ab-test"}
BACKENDS = {IN: ("bookstore-v1", "bookstore-v2"), OUT: ("catalog", "catalog-beta")}

# role -> endpoint -> (status in scope, status out of scope)
R, W = 200, 200
EXPECTED: dict[str, dict[str, tuple[int, int]]] = {
    "viewer": {"list": (R, R), "detail": (R, 404), "weights": (403, 403), "update": (403, 403),
               "create": (403, 403), "delete": (403, 403), "audit": (403, 403), "export": (403, 403),
               "grants": (403, 403)},
    "operator": {"list": (R, R), "detail": (R, 404), "weights": (W, 404), "update": (403, 403),
                 "create": (403, 403), "delete": (403, 403), "audit": (403, 403), "export": (403, 403),
                 "grants": (403, 403)},
    "policy-editor": {"list": (R, R), "detail": (R, 404), "weights": (W, 404), "update": (W, 404),
                      "create": (W, 404), "delete": (W, 404), "audit": (403, 403), "export": (403, 403),
                      "grants": (403, 403)},
    "auditor": {"list": (R, R), "detail": (R, 404), "weights": (403, 403), "update": (403, 403),
                "create": (403, 403), "delete": (403, 403), "audit": (R, R), "export": (R, R),
                "grants": (403, 403)},
    "admin": {"list": (R, R), "detail": (R, 404), "weights": (W, 404), "update": (W, 404),
              "create": (W, 404), "delete": (W, 404), "audit": (R, R), "export": (R, R), "grants": (403, 403)},
    "admin-everywhere": {"list": (R, R), "detail": (R, R), "weights": (W, W), "update": (W, W),
                         "create": (W, W), "delete": (W, W), "audit": (R, R), "export": (R, R), "grants": (R, R)},
    # Without any grant even the cluster is invisible: every object address answers 404.
    "no-role": {"list": (R, R), "detail": (404, 404), "weights": (404, 404), "update": (404, 404),
                "create": (404, 404), "delete": (404, 404), "audit": (403, 403), "export": (403, 403),
                "grants": (403, 403)},
}
#: Who sees which rows of a list endpoint: (in scope, out of scope).
SEES_ROWS = {role: (role != "no-role", role == "admin-everywhere") for role in EXPECTED}
WRITES = {"weights", "update", "create", "delete"}
NEVER_WRITE = {"viewer", "auditor", "no-role"}


@dataclass
class Cell:
    role: str
    endpoint: str
    namespace: str


class Requests:
    """How each endpoint is called for a namespace (fresh resourceVersions, so only permissions decide)."""

    def __init__(self, world: World):
        self.world = world
        self.counter = itertools.count(1)

    def split_path(self, namespace: str, suffix: str = "") -> str:
        return f"/api/objects/{self.world.cluster.name}/{namespace}/trafficsplits/{SPLITS[namespace]}/{suffix}"

    def live_split(self, namespace: str) -> dict[str, Any]:
        return self.world.live(SPLIT_V4, "TrafficSplit", SPLITS[namespace], namespace)

    def send(self, client: Any, endpoint: str, namespace: str) -> Any:
        number = next(self.counter)
        live = self.live_split(namespace)
        base = resource_version(live)
        first, second = BACKENDS[namespace]
        if endpoint == "list":
            return client.get(f"/api/objects/?namespace={namespace}")
        if endpoint == "detail":
            return client.get(self.split_path(namespace))
        if endpoint == "weights":
            return client.post(self.split_path(namespace, "weights/"), {
                "base_resource_version": base, "weights": {first: 100, second: number}}, format="json")
        if endpoint == "update":
            manifest = {**live, "metadata": {**live["metadata"], "labels": {"matrix": str(number)}}}
            return client.put(self.split_path(namespace), {"base_resource_version": base, "manifest": manifest},
                              format="json")
        if endpoint == "create":
            manifest = {"apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "TCPRoute",
                        "metadata": {"name": f"matrix-{number}", "namespace": namespace},
                        "spec": {"matches": {"ports": [8080]}}}
            return client.post("/api/objects/", {"cluster": self.world.cluster.name, "manifest": manifest,
                                                 "preview": True}, format="json")
        if endpoint == "delete":
            return client.delete(self.split_path(namespace) + f"?resource_version={base}&preview=true")
        if endpoint == "audit":
            return client.get(f"/api/audit/?namespace={namespace}")
        if endpoint == "export":
            return client.get(f"/api/audit/export/csv/?namespace={namespace}")
        if endpoint == "grants":
            return client.get("/api/access/grants/")
        raise AssertionError(endpoint)


def users_for(world: World) -> dict[str, Any]:
    scoped = {"cluster": world.cluster, "namespace": IN}
    return {
        "viewer": make_user("vera", Role.VIEWER, **scoped),
        "operator": make_user("olivia", Role.OPERATOR, **scoped),
        "policy-editor": make_user("pat", Role.POLICY_EDITOR, **scoped),
        "auditor": make_user("audrey", Role.AUDITOR, **scoped),
        "admin": make_user("adam", Role.ADMIN, **scoped),
        "admin-everywhere": make_user("ada", Role.ADMIN),
        "no-role": make_user("nobody"),
    }


def rows(response: Any, endpoint: str) -> int | None:
    if endpoint in ("list", "audit"):
        return len(response.json()["results"])
    if endpoint == "export":
        return len(b"".join(response.streaming_content).splitlines()) - 1
    return None


def test_every_role_on_every_endpoint_in_and_out_of_scope(world):
    for namespace in (IN, OUT):
        record_attempt(Attempt(action="set-weights", cluster_id=world.cluster.pk, cluster_name=world.cluster.name,
                               kind="TrafficSplit", namespace=namespace, name=SPLITS[namespace]), outcome="succeeded")
    calls = Requests(world)
    mismatches = []
    for role, user in users_for(world).items():
        client = token_client(user)
        for endpoint, expected in EXPECTED[role].items():
            for namespace, wanted in zip((IN, OUT), expected, strict=True):
                before = resource_version(calls.live_split(namespace))
                response = calls.send(client, endpoint, namespace)
                cell = f"{role:17} {endpoint:8} {'in' if namespace == IN else 'out':3}"
                if response.status_code != wanted:
                    mismatches.append(f"{cell} -> {response.status_code}, expected {wanted}")
                    continue
                if wanted == 200 and endpoint in ("list", "audit", "export"):
                    should_see = SEES_ROWS[role][0 if namespace == IN else 1]
                    if bool(rows(response, endpoint)) != should_see:
                        mismatches.append(f"{cell} -> rows {rows(response, endpoint)}, expected "
                                          f"{'some' if should_see else 'none'}")
                if role in NEVER_WRITE and endpoint in WRITES:
                    assert resource_version(calls.live_split(namespace)) == before, cell
    assert mismatches == [], "\n".join(mismatches)
    refused = AuditEntry.objects.filter(actor__in=["vera", "audrey"])
    assert refused.exists()
    assert set(refused.values_list("outcome", flat=True)) == {"denied"}
