"""The audit log page: filters in the URL, pagination, exports of what is shown, the chain's status."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.audit import context
from smi_ui.audit.models import AuditEntry
from smi_ui.audit.services import Attempt, record_attempt
from tests.edit_support import make_user

pytestmark = pytest.mark.django_db


def add(actor: str, outcome: str, count: int = 1, *, namespace: str = "bookstore", kind: str = "TrafficSplit",
        cluster: str = "prod") -> None:
    with context.bound(actor=actor, source="dashboard"):
        for number in range(count):
            record_attempt(Attempt(action="update", cluster_name=cluster, kind=kind, namespace=namespace,
                                   name=f"{actor}-{outcome}-{number}", summary=f"{actor} {outcome} {number}"),
                           outcome=outcome)


@pytest.fixture
def auditor(client):
    client.force_login(make_user("audrey", Role.AUDITOR))
    return client


def rows(body: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-outcome="(\w+)" data-actor="([^"]*)">', body)


def test_filters_by_user_and_outcome_come_from_the_url(auditor):
    add("pat", "succeeded", 2)
    add("pat", "rejected", 3)
    add("olivia", "rejected", 1)
    body = auditor.get("/audit/?actor=pat&outcome=rejected").content.decode()
    assert rows(body) == [("rejected", "pat")] * 3
    assert "3 entries match these filters" in body
    assert '<option value="rejected" selected>' in body and 'name="actor" value="pat"' in body


def test_filters_by_cluster_namespace_kind_and_time(auditor):
    add("pat", "succeeded", cluster="prod", namespace="bookstore")
    add("pat", "succeeded", cluster="staging", namespace="storefront", kind="HTTPRouteGroup")
    body = auditor.get("/audit/?cluster=staging&namespace=storefront&kind=HTTPRouteGroup").content.decode()
    assert "pat-succeeded-0" in body and len(rows(body)) == 1 and "staging/storefront" in body
    assert len(rows(auditor.get("/audit/?since=2000-01-01T00:00&until=2999-01-01T00:00").content.decode())) == 2
    assert rows(auditor.get("/audit/?until=2000-01-01T00:00").content.decode()) == []


def test_a_bad_time_is_reported_and_matches_nothing(auditor):
    add("pat", "succeeded")
    body = auditor.get("/audit/?since=yesterday").content.decode()
    assert rows(body) == [] and "since:" in body


@pytest.mark.parametrize("bound", ["since=0001-01-01T00:00:00%2B05:00", "until=9999-12-31T23:59-05:00"])
def test_a_time_no_database_can_hold_is_a_named_error_not_a_crash(auditor, bound):
    add("pat", "succeeded")
    response = auditor.get(f"/audit/?{bound}")
    assert response.status_code == 200
    body = response.content.decode()
    assert rows(body) == [] and f"{bound.split('=')[0]}: the timestamp is out of range" in body
    api = auditor.get(f"/api/audit/?{bound}")
    assert api.status_code == 400
    assert bound.split("=")[0] in {error["path"] for error in api.json()["errors"]}


def test_export_links_carry_the_filters_and_export_exactly_the_filtered_entries(auditor):
    add("pat", "rejected", 2)
    add("olivia", "succeeded", 2)
    body = auditor.get("/audit/?actor=olivia&outcome=succeeded").content.decode()
    csv_link = html.unescape(re.search(r'href="([^"]+)" download data-testid="export-csv"', body).group(1))
    jsonl_link = html.unescape(re.search(r'href="([^"]+)" download data-testid="export-jsonl"', body).group(1))
    assert csv_link == "/api/audit/export/csv/?actor=olivia&outcome=succeeded"
    exported = list(csv.DictReader(io.StringIO(b"".join(auditor.get(csv_link).streaming_content).decode())))
    assert [(r["actor"], r["outcome"], r["name"]) for r in exported] == [
        ("olivia", "succeeded", "olivia-succeeded-0"), ("olivia", "succeeded", "olivia-succeeded-1")]
    lines = b"".join(auditor.get(jsonl_link).streaming_content).decode().splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["olivia-succeeded-0", "olivia-succeeded-1"]


def test_pages_keep_the_filters(auditor):
    add("pat", "succeeded", 60)
    add("olivia", "succeeded", 5)
    body = auditor.get("/audit/?actor=pat").content.decode()
    assert len(rows(body)) == 50 and "Page 1 of 2" in body
    assert 'href="?actor=pat&amp;page=2"' in body
    second = auditor.get("/audit/?actor=pat&page=2").content.decode()
    assert rows(second) == [("succeeded", "pat")] * 10


def test_quick_time_ranges_keep_the_other_filters(auditor):
    add("pat", "succeeded")
    body = auditor.get("/audit/?actor=pat").content.decode()
    links = re.findall(r'<a href="\?(actor=pat&amp;since=[^"]+)">last hour</a>', body)
    assert len(links) == 1
    assert rows(auditor.get("/audit/?" + html.unescape(links[0])).content.decode()) == [("succeeded", "pat")]


def test_the_page_shows_a_broken_chain(auditor):
    add("pat", "succeeded", 3)
    AuditEntry.objects.filter(sequence=2).update(summary="rewritten afterwards")
    body = auditor.get("/audit/").content.decode()
    assert "Hash chain broken at entry #2" in body


def test_the_chain_status_is_reused_until_the_log_grows_or_someone_asks(auditor):
    add("pat", "succeeded", 3)
    assert "Hash chain verified: 3 entries" in auditor.get("/audit/").content.decode()
    AuditEntry.objects.filter(sequence=2).update(summary="rewritten afterwards")
    assert "Hash chain verified" in auditor.get("/audit/").content.decode()  # within the maximum age
    assert "Hash chain broken at entry #2" in auditor.get("/audit/?verify=now").content.decode()
    AuditEntry.objects.filter(sequence=2).update(summary="pat succeeded 1")  # restored
    add("pat", "rejected")  # a new entry: the earlier result is obsolete at once
    assert "Hash chain verified: 4 entries" in auditor.get("/audit/").content.decode()


def test_a_namespace_limited_auditor_sees_only_that_namespace(client, world):
    add("pat", "succeeded", namespace="bookstore", cluster=world.cluster.name)
    add("pat", "succeeded", namespace="storefront", cluster=world.cluster.name)
    AuditEntry.objects.update(cluster_id=world.cluster.pk)
    client.force_login(make_user("ada", Role.AUDITOR, cluster=world.cluster, namespace="storefront"))
    body = client.get("/audit/").content.decode()
    assert len(rows(body)) == 1 and "storefront" in body and "/bookstore " not in body
    status = re.search(r'data-testid="chain-status"[^>]*>(.*?)</p>', body, re.S).group(1)
    assert "Hash chain" in status and "entries" not in status and "#" not in status  # nothing about the whole log


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.POLICY_EDITOR])
def test_roles_without_audit_access_are_refused(client, role):
    client.force_login(make_user("someone", role))
    assert client.get("/audit/").status_code == 403
    assert client.get("/api/audit/export/csv/").status_code == 403


def test_entry_text_is_escaped(auditor):
    with context.bound(actor="<b>mallory</b>", source="api"):
        record_attempt(Attempt(action="update", summary="<script>alert(1)</script>"), outcome="denied")
    body = auditor.get("/audit/").content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body and "<b>mallory" not in body


def test_an_entry_page_shows_everything_recorded_about_the_attempt(auditor):
    before = {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
              "metadata": {"name": "web", "namespace": "bookstore"},
              "spec": {"service": "web", "backends": [{"service": "web-v1", "weight": 80}]}}
    after = {**before, "spec": {"service": "web", "backends": [{"service": "web-v1", "weight": 60}]}}
    with context.bound(actor="olivia", source="dashboard", ip="203.0.113.7", user_agent="Firefox/140",
                       request_id="req-42"):
        entry = record_attempt(Attempt(action="update", cluster_name="prod", kind="TrafficSplit", namespace="bookstore",
                                       name="web", base_resource_version="17", before=before, after=after,
                                       summary="weights web-v1=60"),
                               outcome="rejected", message="admission webhook said no",
                               errors=[{"path": "spec.backends[0].weight", "message": "too low", "code": "min"}])
        record_attempt(Attempt(action="update", cluster_name="prod", kind="TrafficSplit", namespace="bookstore",
                               name="web", dry_run=True), outcome="succeeded")
    listing = auditor.get("/audit/").content.decode()
    assert f'href="/audit/{entry.sequence}/"' in listing
    body = html.unescape(auditor.get(f"/audit/{entry.sequence}/").content.decode())
    for fact in ("olivia", "203.0.113.7", "Firefox/140", "req-42", "resourceVersion 17", "admission webhook said no",
                 "spec.backends[0].weight", "too low", entry.hash, entry.prev_hash, "UTC"):
        assert fact in body, fact
    diff = body.split('data-testid="audit-diff">')[1].split("</pre>")[0]
    # (PostgreSQL's jsonb may reorder keys, so lines are matched by content, not indentation)
    assert re.search(r"^-.*weight: 80$", diff, re.MULTILINE) and re.search(r"^\+.*weight: 60$", diff, re.MULTILINE)
    assert "(before)" in diff and "(after)" in diff
    assert f'/audit/{entry.sequence + 1}/' in body  # the preview made in the same request is linked


def test_an_entry_outside_the_readers_scope_is_not_found(client, world):
    add("pat", "succeeded", namespace="bookstore", cluster=world.cluster.name)
    AuditEntry.objects.update(cluster_id=world.cluster.pk)
    sequence = AuditEntry.objects.get().sequence
    client.force_login(make_user("ada", Role.AUDITOR, cluster=world.cluster, namespace="storefront"))
    assert client.get(f"/audit/{sequence}/").status_code == 404
    client.force_login(make_user("vic", Role.VIEWER))
    assert client.get(f"/audit/{sequence}/").status_code == 404
