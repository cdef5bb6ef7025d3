"""Hostile request input: alias bombs, huge names, deep nesting, huge numbers, oversized bodies, NUL in URLs.

Each attack is answered with a 4xx and the API's JSON error body naming the problem, at
bounded cost, before anything reaches the cluster; refused edits leave an audit entry.
"""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc

import pytest
from django.test import Client

from smi_ui.accounts.models import Grant
from smi_ui.accounts.roles import Role
from smi_ui.accounts.tokens import issue_token
from smi_ui.audit.models import AuditEntry
from smi_ui.core.handlers import PooledThreadsASGIHandler
from tests.edit_support import make_user, resource_version, split_url, token_client

pytestmark = pytest.mark.django_db

SPLIT_YAML = """\
apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata:
  name: {name}
  namespace: bookstore
spec:
  service: bookstore
  backends:
  - service: bookstore-v1
    weight: {weight}
  - service: bookstore-v2
    weight: 10
"""


def alias_bomb(levels: int = 8, fan_out: int = 9) -> str:
    """A valid TrafficSplit plus, under an unknown key, `levels` lists of `fan_out` aliases of the level below.

    Expanded, it stands for fan_out**levels (43 million at 8 levels) nodes in about 500 bytes.
    """
    lines = [f"b0: &b0 [{', '.join(['x'] * fan_out)}]"]
    for level in range(1, levels + 1):
        lines.append(f"b{level}: &b{level} [{', '.join([f'*b{level - 1}'] * fan_out)}]")
    bomb = "\n".join("  " + line for line in lines)
    return SPLIT_YAML.format(name="bookstore-canary", weight=90) + "bomb:\n" + bomb + "\n"


def assert_error_body(response, status: int | tuple[int, ...], code: str | None = None, path: str | None = None):
    """A JSON `{"errors": [{path, message, code}]}` with this status (and, if given, this code and path)."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    errors = json.loads(response.content)["errors"]
    assert errors and all(set(error) >= {"path", "message", "code"} and error["message"] for error in errors), errors
    if code is not None:
        assert code in [error["code"] for error in errors], errors
    if path is not None:
        assert path in [error["path"] for error in errors], errors
    return errors


def measured(call):
    """(response, CPU seconds, peak bytes allocated) of an in-process request.

    Timed on its own (tracing allocations slows Python down several times), then repeated
    with allocations traced.
    """
    started = time.process_time()
    response = call()
    cpu = time.process_time() - started
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return response, cpu, peak


# --- alias bombs ------------------------------------------------------------------------------


@pytest.mark.parametrize("role, status, code", [(Role.VIEWER, 403, "permission-denied"),
                                                (Role.POLICY_EDITOR, 400, "yaml-alias")])
@pytest.mark.parametrize("method", ["post", "put"])
def test_an_alias_bomb_costs_almost_nothing_and_writes_nothing(world, role, status, code, method):
    client = token_client(make_user("mallory", role))
    assert client.get("/api/me/").status_code == 200  # the first request of a process imports and compiles a lot
    bomb = alias_bomb(levels=8)
    assert len(bomb) < 1000
    if method == "post":
        def call():
            return client.post("/api/objects/", {"cluster": world.cluster.name, "yaml": bomb}, format="json")
    else:
        base = resource_version(world.live("split.smi-spec.io/v1alpha4", "TrafficSplit", "bookstore-canary",
                                           "bookstore"))

        def call():
            return client.put(split_url(world), {"base_resource_version": base, "yaml": bomb}, format="json")
    response, cpu, peak = measured(call)
    errors = assert_error_body(response, status, code)
    assert cpu < 0.5, f"{cpu:.2f} s of CPU"
    assert peak < 10 * 2**20, f"{peak / 2**20:.1f} MiB allocated at the peak"
    if role == Role.POLICY_EDITOR:
        assert "line" in errors[0]["message"] and errors[0]["path"] == "yaml"
    assert world.writes() == []  # not even a dry run
    entries = list(AuditEntry.objects.order_by("sequence"))
    assert len(entries) == 2  # both requests
    assert {entry.outcome for entry in entries} == {"denied" if status == 403 else "rejected"}
    assert entries[0].actor == "mallory"
    assert response.json()["audit_id"] == entries[0].pk


def test_an_update_is_authorized_for_its_exact_scope_before_its_yaml_is_read(world):
    """May edit policy elsewhere, may only read here: the bomb is refused 403, not parsed (which would be 400)."""
    user = make_user("eve", Role.POLICY_EDITOR, cluster=world.cluster, namespace="other")
    Grant.objects.create(user=user, role=Role.VIEWER, cluster=world.cluster, namespace="bookstore")
    client = token_client(user)
    response = client.put(split_url(world), {"base_resource_version": "1", "yaml": alias_bomb()}, format="json")
    assert_error_body(response, 403, "permission-denied")
    hidden = client.put(split_url(world, namespace="payments"), {"base_resource_version": "1",
                                                                 "yaml": alias_bomb()}, format="json")
    assert_error_body(hidden, 404, "not-found")  # a namespace it may not see: as if nothing were there
    assert list(AuditEntry.objects.order_by("sequence").values_list("namespace", "outcome")) == [
        ("bookstore", "denied"), ("payments", "denied")]
    assert world.writes() == []


def test_anchors_without_aliases_and_duplicate_keys_are_refused_naming_the_line(world):
    client = token_client(make_user("pat", Role.POLICY_EDITOR))
    anchored = SPLIT_YAML.format(name="anchored", weight=90).replace("spec:", "spec: &spec")
    response = client.post("/api/objects/", {"cluster": world.cluster.name, "yaml": anchored}, format="json")
    assert "line 6" in assert_error_body(response, 400, "yaml-alias", "yaml")[0]["message"]

    duplicated = SPLIT_YAML.format(name="duplicated", weight=90).replace("    weight: 10\n",
                                                                        "    weight: 10\n    weight: 90\n")
    response = client.post("/api/objects/", {"cluster": world.cluster.name, "yaml": duplicated}, format="json")
    message = assert_error_body(response, 400, "yaml-duplicate-key", "yaml")[0]["message"]
    assert "'weight'" in message and "line 13" in message
    assert world.writes() == []
    assert list(AuditEntry.objects.values_list("outcome", flat=True)) == ["rejected", "rejected"]


# --- names longer than Kubernetes allows --------------------------------------------------------


LONG = "n" * 300


@pytest.mark.parametrize("part", ["namespace", "name"])
@pytest.mark.parametrize("method, suffix, body", [
    ("put", "", {"base_resource_version": "1", "yaml": "a: 1"}),
    ("delete", "?resource_version=1", None),
    ("post", "weights/", {"base_resource_version": "1", "weights": {"bookstore-v1": 1}}),
    ("post", "backends/", {"base_resource_version": "1", "service": "x", "weight": 1}),
    ("post", "backends/remove/", {"base_resource_version": "1", "service": "x"}),
    ("post", "revert/", {"base_resource_version": "1", "revision": 1}),
])
def test_a_300_character_name_in_a_write_url_is_refused_and_audited(world, part, method, suffix, body):
    client = token_client(make_user("pat", Role.POLICY_EDITOR))
    address = {"namespace": "bookstore", "name": "bookstore-canary", part: LONG}
    url = split_url(world, suffix.split("?")[0], **address) + ("?" + suffix.split("?")[1] if "?" in suffix else "")
    response = getattr(client, method)(url, body, format="json") if body is not None else client.delete(url)
    assert_error_body(response, 400, "too-long", part)
    entry = AuditEntry.objects.get()
    recorded = getattr(entry, part)
    assert len(recorded) <= 253 and recorded.startswith("n" * 200) and "300" in recorded  # cut, and marked
    assert entry.outcome == "rejected" and response.json()["audit_id"] == entry.pk
    assert world.writes() == []


@pytest.mark.parametrize("field", ["name", "namespace"])
def test_a_300_character_metadata_name_is_refused_and_audited(world, field):
    client = token_client(make_user("pat", Role.POLICY_EDITOR))
    manifest = {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
                "metadata": {"name": "ok", "namespace": "bookstore", field: LONG},
                "spec": {"service": "bookstore", "backends": [{"service": "bookstore-v1", "weight": 1}]}}
    response = client.post("/api/objects/", {"cluster": world.cluster.name, "manifest": manifest}, format="json")
    assert_error_body(response, 400, "too-long", f"metadata.{field}")
    assert AuditEntry.objects.get().outcome == "rejected"
    assert world.writes() == []


def test_a_300_character_cluster_name_is_refused_and_audited(world):
    client = token_client(make_user("pat", Role.POLICY_EDITOR))
    url = f"/api/objects/{LONG}/bookstore/trafficsplits/bookstore-canary/weights/"
    response = client.post(url, {"base_resource_version": "1", "weights": {"bookstore-v1": 1}}, format="json")
    assert_error_body(response, 400, "too-long", "cluster")
    entry = AuditEntry.objects.get()
    assert entry.cluster_id is None and len(entry.cluster_name) <= 63 and "300" in entry.cluster_name


# --- nesting and numbers ----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100, 1_000, 100_000])
def test_deeply_nested_json_is_a_400(world, depth):
    client = token_client(make_user("pat", Role.POLICY_EDITOR))
    nested = f'{{"cluster": "{world.cluster.name}", "manifest": {{"spec": {"[" * depth}1{"]" * depth}}}}}'
    response = client.post("/api/objects/", nested, content_type="application/json")
    assert_error_body(response, 400, "too-deep")
    assert world.writes() == []


@pytest.mark.parametrize("depth", [65, 5_000])
def test_deeply_nested_yaml_is_a_400(world, depth):
    client = token_client(make_user("pat", Role.POLICY_EDITOR))
    deep = SPLIT_YAML.format(name="deep", weight=1) + "extra: " + "[" * depth + "]" * depth + "\n"
    response = client.post("/api/objects/", {"cluster": world.cluster.name, "yaml": deep}, format="json")
    assert_error_body(response, 400, "too-deep", "yaml")
    assert AuditEntry.objects.get().outcome == "rejected"


@pytest.mark.parametrize("weight", ["1" + "0" * 400, "1e400", str(2**63)])
def test_weights_beyond_int64_are_a_400(world, weight):
    client = token_client(make_user("pat", Role.POLICY_EDITOR))
    base = resource_version(world.live("split.smi-spec.io/v1alpha4", "TrafficSplit", "bookstore-canary", "bookstore"))
    body = f'{{"base_resource_version": "{base}", "weights": {{"bookstore-v1": {weight}}}}}'
    response = client.post(split_url(world, "weights/"), body, content_type="application/json")
    assert_error_body(response, 400)
    assert world.real_writes() == []
    assert AuditEntry.objects.get().outcome == "rejected"


@pytest.mark.parametrize("weight", [10**400, 2**63])
def test_a_manifest_with_a_weight_beyond_int64_is_a_400(world, weight):
    client = token_client(make_user("pat", Role.POLICY_EDITOR))
    text = SPLIT_YAML.format(name="huge", weight=weight)
    response = client.post("/api/objects/", {"cluster": world.cluster.name, "yaml": text}, format="json")
    assert_error_body(response, 400, path="spec.backends[0].weight")
    assert world.real_writes() == []


def test_a_weight_at_the_int64_limit_is_accepted(world):
    client = token_client(make_user("pat", Role.POLICY_EDITOR))
    text = SPLIT_YAML.format(name="big", weight=2**63 - 1)
    response = client.post("/api/objects/", {"cluster": world.cluster.name, "yaml": text, "preview": True},
                           format="json")
    assert response.status_code == 200, response.json()


# --- bodies and URLs Django itself refuses ------------------------------------------------------


def test_an_oversized_body_is_a_json_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = token_client(make_user("pat", Role.POLICY_EDITOR))
    body = json.dumps({"cluster": world.cluster.name, "yaml": "a: " + "x" * 20_000})
    response = client.post("/api/objects/", body, content_type="application/json")
    assert_error_body(response, 413, "too-large")
    assert AuditEntry.objects.get().outcome == "rejected"
    form = client.post("/api/objects/", {"field": "x" * 20_000})  # form-encoded: Django's own limit
    assert_error_body(form, (400, 413, 415))


def test_the_asgi_handler_refuses_an_oversized_body_before_reading_it(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    handler = PooledThreadsASGIHandler(1)

    async def exchange(headers, chunks):
        sent, pending = [], list(chunks)

        async def receive():
            if not pending:
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": pending.pop(0), "more_body": bool(pending)}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/api/objects/", "raw_path": b"/api/objects/",
                 "query_string": b"", "headers": headers, "server": ("testserver", 80), "client": ("127.0.0.1", 1),
                 "scheme": "http", "root_path": "", "http_version": "1.1", "asgi": {"version": "3.0"}}
        await handler(scope, receive, send)
        return sent, len(pending)

    declared, unread = asyncio.run(exchange([(b"content-length", b"5000000")], [b"x" * 1000] * 5000))
    assert declared[0]["status"] == 413 and unread == 5000  # not one chunk read
    assert json.loads(declared[1]["body"])["errors"][0]["code"] == "too-large"
    streamed, unread = asyncio.run(exchange([], [b"x" * 600] * 100))  # no length declared
    assert streamed[0]["status"] == 413 and unread == 98


@pytest.mark.parametrize("url", ["/api/objects/%00/", "/api/objects/?name=%00", "/api/no/such/%00"])
def test_nul_in_an_api_url_is_a_json_400(admin_client, url):
    assert "NUL" in assert_error_body(admin_client.get(url), 400)[0]["message"]


def test_errors_django_answers_itself_are_json_under_api(admin_client):
    assert_error_body(admin_client.get("/api/objects/", HTTP_HOST="evil.example"), 400)  # DisallowedHost
    page = admin_client.get("/clusters/x/objects/?namespace=%00")
    assert page.status_code == 400 and not page["Content-Type"].startswith("application/json")  # pages keep theirs


def test_unknown_api_paths_answer_404_json_whatever_the_method(world):
    _, token = issue_token(make_user("pat", Role.POLICY_EDITOR), "tests")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")  # CSRF checked, as in production
    assert_error_body(client.get("/api/no/such/thing/"), 404, "not_found")
    for method in ("post", "put", "patch", "delete"):
        assert_error_body(getattr(client, method)("/api/no/such/thing/", '{"a": 1}', content_type="application/json"),
                          404, "not_found")
    session = Client(enforce_csrf_checks=True)
    session.force_login(make_user("sam", Role.POLICY_EDITOR))
    assert_error_body(session.post("/api/no/such/thing/", {}), 404)
    refused = session.post("/api/objects/", {"cluster": world.cluster.name, "yaml": "a: 1"},
                           content_type="application/json")  # a session without its CSRF token
    assert_error_body(refused, 403)


def test_yaml_merge_keys_are_refused_like_duplicates():
    from smi_ui.changes.errors import InvalidEdit
    from smi_ui.changes.manifests import load_yaml_documents

    with pytest.raises(InvalidEdit) as refused:
        load_yaml_documents("apiVersion: v1\nkind: X\nmetadata: {name: a}\nspec:\n  a: 1\n  <<: {a: 2}\n")
    assert refused.value.errors[0]["code"] == "yaml-merge-key" and "line 6" in refused.value.errors[0]["message"]
