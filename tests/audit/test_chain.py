"""The audit log: every attempt recorded with its attribution, hash-chained, verifiable, exportable."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from smi_ui.accounts.roles import Role
from smi_ui.audit import chain, keys
from smi_ui.audit.models import AuditEntry
from smi_ui.audit.services import Attempt, record_attempt
from tests.edit_support import SPLIT_V4, make_user, resource_version, split_url, token_client


def verify_output() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def add_entries(count: int, **fields) -> None:
    for number in range(count):
        record_attempt(Attempt(action="set-weights", kind="TrafficSplit", namespace="bookstore",
                               name=f"split-{number}", **fields), outcome="succeeded")


@pytest.mark.django_db
def test_each_kind_of_attempt_is_recorded_and_the_chain_verifies(world):
    operator = make_user("olivia", Role.OPERATOR)
    viewer = make_user("vera", Role.VIEWER)
    client = token_client(operator)
    base = resource_version(world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore"))
    url = split_url(world, "weights/")
    attempts = [
        (client, {"base_resource_version": base, "weights": {"bookstore-v2": 30}, "preview": True}, 200),
        (client, {"base_resource_version": base, "weights": {"bookstore-v2": -1}}, 400),
        (client, {"base_resource_version": base, "weights": {"bookstore-v2": 30}}, 200),
        (client, {"base_resource_version": base, "weights": {"bookstore-v2": 40}}, 409),
        (token_client(viewer), {"base_resource_version": base, "weights": {"bookstore-v2": 50}}, 403),
    ]
    for sender, body, expected in attempts:
        response = sender.post(url, body, format="json", HTTP_X_REQUEST_ID="req-42", HTTP_USER_AGENT="ops-bot/1.0")
        assert response.status_code == expected, response.json()
        assert response["X-Request-ID"] == "req-42"
    entries = list(AuditEntry.objects.order_by("sequence"))
    assert [(e.outcome, e.dry_run) for e in entries] == [
        ("succeeded", True), ("rejected", False), ("succeeded", False), ("conflict", False), ("denied", False)]
    first = entries[0]
    assert (first.actor, first.source, first.ip, first.user_agent, first.request_id) == (
        "olivia", "api", "127.0.0.1", "ops-bot/1.0", "req-42")
    assert (first.cluster_name, first.kind, first.namespace, first.name) == (
        world.cluster.name, "TrafficSplit", "bookstore", "bookstore-canary")
    success = entries[2]
    assert success.before["spec"]["backends"][1]["weight"] == 20
    assert success.after["spec"]["backends"][1]["weight"] == 30
    assert success.resource_version and success.base_resource_version == base
    assert entries[1].errors[0]["path"] == "weights.bookstore-v2"
    assert entries[4].actor == "vera"
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert "intact: 5 entries" in verify_output()


@pytest.mark.django_db
def test_altering_one_stored_entry_makes_verify_name_it():
    add_entries(5)
    victim = AuditEntry.objects.get(sequence=3)
    AuditEntry.objects.filter(pk=victim.pk).update(outcome="denied")
    with pytest.raises(CommandError, match=rf"entry #3 \(id {victim.pk}\): its stored contents do not match"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_rewriting_an_entry_and_its_hash_breaks_the_next_link():
    add_entries(4)
    victim = AuditEntry.objects.get(sequence=2)
    victim.summary = "nothing to see here"
    fields = {name: getattr(victim, name) for name in (*chain.HASHED_FIELDS, "key_id")}
    victim.hash = chain.entry_hash(fields, keys.keys_by_id()[victim.key_id])  # as someone holding the key could
    AuditEntry.objects.filter(pk=victim.pk).update(summary=victim.summary, hash=victim.hash)
    report = chain.verify()
    assert report.broken.sequence == 3
    assert "prev_hash" in report.broken.reason


@pytest.mark.django_db
def test_deleted_entries_are_detected_in_the_middle_and_at_the_end():
    add_entries(4)
    AuditEntry.objects.filter(sequence=4).delete()
    assert "missing" in str(chain.verify().broken)
    AuditEntry.objects.filter(sequence=2).delete()
    assert chain.verify().broken.sequence == 2


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_writers_never_fork_the_chain():
    start = threading.Barrier(50, timeout=30)
    failures: list[BaseException] = []

    def write(number: int) -> None:
        try:
            start.wait()
            record_attempt(Attempt(action="set-weights", name=f"writer-{number}"), outcome="conflict")
        except BaseException as error:  # reported to the test thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sorted(AuditEntry.objects.values_list("sequence", flat=True)) == list(range(1, 51))
    report = chain.verify()
    assert report.ok and report.checked == 50


@pytest.mark.django_db
def test_exports_are_filtered_scoped_and_safe_for_spreadsheets():
    add_entries(3)
    record_attempt(Attempt(action="=HYPERLINK(\"http://evil\")", kind="TrafficSplit", namespace="storefront",
                           name="catalog"), outcome="rejected")
    auditor = make_user("audrey", Role.AUDITOR)
    client = token_client(auditor)
    lines = b"".join(client.get("/api/audit/export/jsonl/?namespace=bookstore").streaming_content).splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["name"] for r in records] == ["split-0", "split-1", "split-2"]
    assert all(r["hash"] and r["prev_hash"] for r in records)
    response = client.get("/api/audit/export/csv/?outcome=rejected")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["name"] for row in rows] == ["catalog"]
    assert rows[0]["action"].startswith("'=")
    scoped = token_client(make_user("sam", Role.AUDITOR, namespace="storefront"))
    listed = scoped.get("/api/audit/").json()
    assert [entry["name"] for entry in listed["results"]] == ["catalog"]


@pytest.mark.django_db
def test_cli_export_writes_json_lines():
    add_entries(2)
    out = io.StringIO()
    call_command("audit", "export", "--format", "jsonl", "--name", "split-1", stdout=out)
    assert [json.loads(line)["name"] for line in out.getvalue().splitlines()] == ["split-1"]


@pytest.mark.django_db
def test_admin_shows_entries_read_only(client):
    add_entries(1)
    make_user("root", is_superuser=True, is_staff=True)
    client.login(username="root", password="root-password-long")
    entry = AuditEntry.objects.get()
    assert client.get("/admin/audit/auditentry/").status_code == 200
    page = client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and b"Save" not in page.content
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
