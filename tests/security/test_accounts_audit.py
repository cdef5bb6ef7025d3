"""Attacks on accounts and the audit log: password guessing, admin changes that skip the audit chain,
tokens minting tokens, rewriting audit history in the database, forced re-verification, weak keys."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from smi_ui.accounts.models import ApiToken, Grant
from smi_ui.accounts.roles import Role
from smi_ui.accounts.tokens import authenticate_token, issue_token, revoke_token
from smi_ui.audit import chain, keys
from smi_ui.audit.models import AuditChainHead, AuditEntry
from smi_ui.audit.services import Attempt, record_attempt
from smi_ui.clusters.models import Cluster, KindStatus
from smi_ui.env import secret_key_weakness
from smi_ui.inventory.models import KubeObject
from tests.edit_support import make_user

REPO = Path(__file__).resolve().parents[2]
KEY_A = "audit-key-a-" + "A1b2C3d4" * 5
KEY_B = "audit-key-b-" + "Z9y8X7w6" * 5


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttles, lockouts and cached verifications live in the cache: each test starts without them."""
    cache.clear()
    yield
    cache.clear()


def add_entries(count: int, start: int = 0) -> None:
    for number in range(start, start + count):
        record_attempt(Attempt(action="set-weights", kind="TrafficSplit", namespace="bookstore",
                               name=f"split-{number}"), outcome="succeeded")


def verify_output() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def fields_of(entry: AuditEntry) -> dict:
    return {name: getattr(entry, name) for name in (*chain.HASHED_FIELDS, "key_id")}


def rewrite_unkeyed(from_sequence: int, *, mark_legacy: bool) -> None:
    """What someone with database write access but without the key can do: change an entry, then recompute
    the plain sha256 of it and of every entry after it, relink them and move the chain head."""
    previous = AuditEntry.objects.filter(sequence=from_sequence - 1).values_list("hash", flat=True).first()
    for entry in AuditEntry.objects.filter(sequence__gte=from_sequence).order_by("sequence"):
        if entry.sequence == from_sequence:
            entry.summary = "nothing happened here"
        if mark_legacy:
            entry.key_id = keys.LEGACY_KEY_ID
        entry.prev_hash = previous or entry.prev_hash
        entry.hash = chain.entry_hash(fields_of(entry))  # unkeyed
        AuditEntry.objects.filter(pk=entry.pk).update(summary=entry.summary, key_id=entry.key_id,
                                                      prev_hash=entry.prev_hash, hash=entry.hash)
        previous = entry.hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous)


# --- the audit chain is keyed ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("mark_legacy", [False, True], ids=["keeping-its-key-id", "claiming-to-be-legacy"])
def test_editing_one_audit_row_fails_verify_even_after_recomputing_its_unkeyed_hash(mark_legacy):
    add_entries(4)
    assert "intact: 4 entries" in verify_output()
    rewrite_unkeyed(2, mark_legacy=mark_legacy)
    report = chain.verify()
    assert not report.ok and report.broken.sequence == 2
    assert ("after keyed ones" if mark_legacy else "do not match its hash") in report.broken.reason
    with pytest.raises(CommandError, match=r"entry #2"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_entries_from_before_keying_still_verify_and_are_sealed_by_the_first_keyed_entry():
    add_entries(3)
    make_legacy()  # entries as they were before the chain was keyed...
    assert "beyond the 0 sealed" in chain.verify().broken.reason  # ...which the migration has not sealed yet
    keys.seal_legacy_entries(AuditEntry, AuditChainHead)  # what the migration does
    report = chain.verify()
    assert report.ok and report.keys_used == {keys.LEGACY_KEY_ID: 3}
    add_entries(2, start=3)
    assert "legacy unkeyed sha256: 3 entries" in verify_output()
    victim = AuditEntry.objects.get(sequence=2)  # rewrite old history, relinking the unkeyed entries after it
    victim.summary = "nothing happened here"
    AuditEntry.objects.filter(pk=victim.pk).update(summary=victim.summary, hash=chain.entry_hash(fields_of(victim)))
    third = AuditEntry.objects.get(sequence=3)
    third.prev_hash = AuditEntry.objects.get(sequence=2).hash
    AuditEntry.objects.filter(pk=third.pk).update(prev_hash=third.prev_hash, hash=chain.entry_hash(fields_of(third)))
    report = chain.verify()
    assert not report.ok and report.broken.sequence == 3 and "do not match their seal" in report.broken.reason


@pytest.mark.django_db
def test_rewriting_the_whole_chain_as_unkeyed_entries_fails_verify():
    add_entries(2)
    make_legacy()
    keys.seal_legacy_entries(AuditEntry, AuditChainHead)
    add_entries(3, start=2)
    make_legacy()  # everything rewritten as if never keyed, links and head recomputed
    report = chain.verify()
    assert not report.ok and report.broken.sequence == 3 and "beyond the 2 sealed" in report.broken.reason
    AuditChainHead.objects.filter(pk=1).update(legacy_entries=5)  # claiming more legacy entries needs the key
    report = chain.verify()
    assert not report.ok and report.broken.sequence == 5 and "seal" in report.broken.reason


def make_legacy() -> None:
    """Entries as they were before keying: plain sha256 links, key id `legacy`."""
    previous = chain.GENESIS_HASH
    for entry in AuditEntry.objects.order_by("sequence"):
        entry.key_id, entry.prev_hash = keys.LEGACY_KEY_ID, previous
        entry.hash = chain.entry_hash(fields_of(entry))
        AuditEntry.objects.filter(pk=entry.pk).update(key_id=entry.key_id, prev_hash=previous, hash=entry.hash)
        previous = entry.hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous)


@pytest.mark.django_db
def test_verify_names_the_keys_and_old_entries_verify_after_rotation():
    with override_settings(AUDIT_HMAC_KEYS=[KEY_A]):
        add_entries(2)
        old_id = keys.current_key()[0]
        assert f"intact: 2 entries verified (key {old_id} (current): 2 entries)" in verify_output()
    with override_settings(AUDIT_HMAC_KEYS=[KEY_B, KEY_A]):  # rotated: the new key first, the old one kept
        add_entries(3, start=2)
        new_id = keys.current_key()[0]
        assert new_id != old_id
        assert AuditEntry.objects.get(sequence=5).key_id == new_id
        output = verify_output()
        assert f"key {old_id}: 2 entries" in output and f"key {new_id} (current): 3 entries" in output
    with override_settings(AUDIT_HMAC_KEYS=[KEY_B]):  # the old key dropped too early
        report = chain.verify()
        assert report.broken.sequence == 1 and old_id in report.broken.reason


# --- re-verification on demand is rate-limited -------------------------------------------------


@pytest.mark.django_db
def test_verify_now_rereads_the_whole_log_at_most_once_a_minute(client, monkeypatch):
    add_entries(3)
    full_runs: list[int] = []
    real_verify = chain.verify

    def counting_verify(since=None):
        if since is None:
            full_runs.append(1)
        return real_verify(since)

    monkeypatch.setattr(chain, "verify", counting_verify)
    client.force_login(make_user("audrey", Role.AUDITOR))
    first = client.get("/audit/?verify=now").content.decode()
    assert "Hash chain verified: 3 entries" in first and len(full_runs) == 1
    for _ in range(5):
        again = client.get("/audit/?verify=now").content.decode()
        assert 'data-testid="verify-refused"' in again
    assert len(full_runs) == 1
    client.force_login(make_user("alex", Role.AUDITOR))  # another auditor: the same chain was just re-read
    assert 'data-testid="verify-refused"' in client.get("/audit/?verify=now").content.decode()
    add_entries(2, start=3)
    body = client.get("/audit/").content.decode()  # new entries are checked on their own, not the whole log
    assert "Hash chain verified: 5 entries" in body and len(full_runs) == 1


# --- a weak SECRET_KEY is refused --------------------------------------------------------------


def test_weak_secret_keys_are_named_and_the_test_key_is_strong():
    assert "5 characters" in secret_key_weakness("short")
    assert "different characters" in secret_key_weakness("ab" * 40)
    assert "django-insecure" in secret_key_weakness("django-insecure-" + "x1y2z3" * 10)
    assert secret_key_weakness(settings.SECRET_KEY) is None


def test_a_weak_secret_key_stops_startup_unless_debugging(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(DJANGO_SETTINGS_MODULE="smi_ui.settings", SMI_UI_DATA_DIR=str(tmp_path), SECRET_KEY="short")
    refused = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode != 0 and "SECRET_KEY is too weak" in refused.stderr
    allowed = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, env={**env, "DEBUG": "true"},
                             capture_output=True, text=True, timeout=120)
    assert allowed.returncode == 0, allowed.stderr


# --- admin changes are audited or impossible ---------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    return client


def entries(action: str, kind: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, kind=kind).order_by("sequence"))


@pytest.mark.django_db
def test_a_grant_turning_a_viewer_into_an_admin_is_an_audit_entry(admin_client):
    vera = make_user("vera", Role.VIEWER)
    grant = Grant.objects.get(user=vera)
    response = admin_client.post(f"/admin/accounts/grant/{grant.pk}/change/",
                                 {"role": Role.ADMIN, "user": vera.pk, "group": "", "cluster": "", "namespace": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Grant.objects.get(pk=grant.pk).role == Role.ADMIN
    [entry] = entries("admin-change", "Grant")
    assert (entry.actor, entry.outcome) == ("root", "succeeded")
    assert entry.before["role"] == Role.VIEWER and entry.after["role"] == Role.ADMIN
    response = admin_client.post(f"/admin/accounts/grant/{grant.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Grant.objects.filter(pk=grant.pk).exists()
    [deleted] = entries("admin-delete", "Grant")
    assert deleted.before["role"] == Role.ADMIN and deleted.after is None
    assert chain.verify().ok


@pytest.mark.django_db
def test_joining_the_admins_group_in_the_admin_is_an_audit_entry(admin_client):
    vera = make_user("vera", Role.VIEWER)
    admins = Group.objects.get(name="admins")
    page = admin_client.get(f"/admin/auth/user/{vera.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(groups=[admins.pk], user_permissions=[], is_active="on",
                date_joined_0=vera.date_joined.strftime("%Y-%m-%d"),
                date_joined_1=vera.date_joined.strftime("%H:%M:%S"))
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = admin_client.post(f"/admin/auth/user/{vera.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [entry] = entries("admin-change", "User")
    assert entry.before["groups"] == [] and entry.after["groups"] == ["admins"]
    assert entry.after["password"].startswith("set, fingerprint ") and "md5" not in json.dumps(entry.after)


@pytest.mark.django_db
def test_a_revoked_token_cannot_be_revived_in_the_admin(admin_client):
    owner = make_user("otto", Role.OPERATOR)
    record, token = issue_token(owner, "ci")
    revoke_token(record)
    revoked_at = ApiToken.objects.get(pk=record.pk).revoked_at
    response = admin_client.post(f"/admin/accounts/apitoken/{record.pk}/change/",
                                 {"name": "ci", "expires_at_0": "", "expires_at_1": "", "revoked_at_0": "",
                                  "revoked_at_1": ""})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/accounts/apitoken/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ApiToken.objects.get(pk=record.pk).revoked_at == revoked_at
    assert authenticate_token(token) is None
    live, _ = issue_token(owner, "deploy")
    response = admin_client.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [live.pk]})
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=live.pk).revoked_at is not None
    [entry] = entries("revoke-token", "ApiToken")
    assert entry.actor == "root" and live.prefix in entry.summary


def cluster_form(**fields) -> dict:
    data = {"name": "lab", "api_server": "https://lab.example:6443", "auth_method": "token", "token": "t0ken-one",
            "kubeconfig_context": "", "enabled": "on", "ca_data": "", "client_cert": "", "client_key": "",
            "kubeconfig": "", "kind_statuses-TOTAL_FORMS": "0", "kind_statuses-INITIAL_FORMS": "0",
            "kind_statuses-MIN_NUM_FORMS": "0", "kind_statuses-MAX_NUM_FORMS": "1000"}
    data.update(fields)
    return data


@pytest.mark.django_db
def test_creating_and_editing_a_cluster_in_the_admin_are_audit_entries(admin_client):
    response = admin_client.post("/admin/clusters/cluster/add/", cluster_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    cluster = Cluster.objects.get(name="lab")
    [created] = entries("admin-create", "Cluster")
    assert (created.actor, created.cluster_id, created.cluster_name) == ("root", cluster.pk, "lab")
    assert created.after["api_server"] == "https://lab.example:6443"
    assert created.after["credentials_encrypted"].startswith("set, fingerprint ")
    assert "t0ken-one" not in json.dumps(created.after)
    response = admin_client.post(f"/admin/clusters/cluster/{cluster.pk}/change/",
                                 cluster_form(api_server="https://evil.example:6443", token="t0ken-two"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    [changed] = entries("admin-change", "Cluster")
    assert changed.before["api_server"] == "https://lab.example:6443"
    assert changed.after["api_server"] == "https://evil.example:6443"
    assert changed.before["credentials_encrypted"] != changed.after["credentials_encrypted"]
    assert "t0ken-two" not in json.dumps(changed.after)
    KindStatus.objects.create(cluster=cluster, kind="TrafficSplit", api_version="split.smi-spec.io/v1alpha4")
    page = admin_client.get(f"/admin/clusters/cluster/{cluster.pk}/change/").content.decode().lower()
    assert "kind statuses" in page and "kind statuss" not in page


@pytest.mark.django_db
def test_inventory_rows_cannot_be_deleted_or_changed_in_the_admin(admin_client):
    cluster = Cluster.objects.create(name="lab")
    row = KubeObject.objects.create(cluster=cluster, api_version="v1", kind="Service", namespace="shop", name="web",
                                    uid="u1", resource_version="1", raw={}, observed_at=timezone.now())
    assert admin_client.post(f"/admin/inventory/kubeobject/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_client.post("/admin/inventory/kubeobject/", {"action": "delete_selected",
                                                                 "_selected_action": [row.pk], "post": "yes"})
    assert KubeObject.objects.filter(pk=row.pk).exists()
    assert response.status_code in (200, 302)
    assert admin_client.post(f"/admin/inventory/kubeobject/{row.pk}/change/", {"name": "x"}).status_code == 403


# --- token rules -------------------------------------------------------------------------------


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.django_db
def test_a_token_cannot_mint_tokens_unless_granted():
    owner = make_user("otto", Role.OPERATOR)
    _, plain = issue_token(owner, "ci")
    response = bearer(plain).post("/api/access/tokens/", {"name": "offspring"}, format="json")
    assert response.status_code == 403 and response.json()["errors"][0]["message"].startswith("this token may not")
    assert not ApiToken.objects.filter(name="offspring").exists()
    assert entries("issue-token", "ApiToken")[-1].outcome == "denied"
    parent, granted = issue_token(owner, "minter", may_issue_tokens=True)
    asked_to_mint = bearer(granted).post("/api/access/tokens/", {"name": "x", "may_issue_tokens": True},
                                         format="json")
    assert asked_to_mint.status_code == 400 and asked_to_mint.json()["errors"][0]["path"] == "may_issue_tokens"
    child = bearer(granted).post("/api/access/tokens/", {"name": "child"}, format="json")
    assert child.status_code == 201 and child.json()["may_issue_tokens"] is False
    record = ApiToken.objects.get(name="child")
    assert record.issued_by_id == parent.pk and record.expires_at <= parent.expires_at
    assert bearer(child.json()["token"]).get("/api/me/").status_code == 200
    assert bearer(granted).delete(f"/api/access/tokens/{parent.pk}/").status_code == 204
    assert bearer(child.json()["token"]).get("/api/me/").status_code in (401, 403)  # revoked with its issuer


@pytest.mark.django_db
def test_an_expiry_in_the_past_is_a_400_naming_the_field():
    session = APIClient()
    session.force_authenticate(make_user("otto", Role.OPERATOR))
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    response = session.post("/api/access/tokens/", {"name": "late", "expires_at": past}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "expires_at", "message": "must be in the future", "code": "past"}]
    assert not ApiToken.objects.filter(name="late").exists()
    assert entries("issue-token", "ApiToken")[-1].outcome == "rejected"


@pytest.mark.django_db
@override_settings(API_TOKEN_MAX_DAYS=30)
def test_tokens_live_at_most_api_token_max_days():
    session = APIClient()
    session.force_authenticate(make_user("otto", Role.OPERATOR))
    too_long = (timezone.now() + timedelta(days=31)).isoformat()
    response = session.post("/api/access/tokens/", {"name": "forever", "expires_at": too_long}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == "expires_at"
    assert "API_TOKEN_MAX_DAYS" in response.json()["errors"][0]["message"]
    created = session.post("/api/access/tokens/", {"name": "default"}, format="json")
    assert created.status_code == 201
    expires = ApiToken.objects.get(name="default").expires_at
    assert timedelta(days=29, hours=23) < expires - timezone.now() <= timedelta(days=30)
    with override_settings(API_TOKEN_MAX_DAYS=0):  # no maximum
        assert session.post("/api/access/tokens/", {"name": "long", "expires_at": too_long},
                            format="json").status_code == 201


# --- login throttling and lockout --------------------------------------------------------------


def log_in(client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def end_lockouts() -> None:
    """What waiting out the lockout does: every counted failure becomes older than the cool-off."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))


@pytest.mark.django_db
def test_the_21st_login_is_refused_even_with_the_right_password_until_the_lockout_ends(client):
    make_user("alice")
    assert settings.AXES_FAILURE_LIMIT == 20
    for attempt in range(1, 20):
        response = log_in(client, "alice", f"guess-{attempt}")
        assert response.status_code == 200 and "didn't match" in response.content.decode()
    twentieth = log_in(client, "alice", "guess-20")
    assert twentieth.status_code == 429 and 'data-testid="locked-out"' in twentieth.content.decode()
    right = log_in(client, "alice", "alice-password-long")
    body = right.content.decode()
    assert right.status_code == 429 and not logged_in(client)
    assert "try again in 15 minutes" in body and 'class="card narrow"' in body and "<h1>" in body
    assert int(right["Retry-After"]) == 15 * 60
    # the lock is on this address: a stranger failing elsewhere cannot keep alice (or admin) locked out
    assert log_in(Client(), "alice", "alice-password-long", address="198.51.100.9").status_code == 302
    failed = entries("login-failed", "User")
    assert len(failed) == 20 and {entry.name for entry in failed} == {"alice"}
    assert failed[0].ip == "203.0.113.7" and failed[0].outcome == "denied"
    assert "alice-password-long" not in json.dumps([entry.summary for entry in AuditEntry.objects.all()])
    [lockout] = entries("lockout", "User")
    assert "alice" in lockout.summary and "20 failed attempts" in lockout.summary
    end_lockouts()
    assert log_in(client, "alice", "alice-password-long").status_code == 302 and logged_in(client)
    assert chain.verify().ok


@pytest.mark.django_db
def test_one_address_guessing_many_usernames_is_locked_out_too(client):
    make_user("bob")
    for attempt in range(20):
        log_in(client, f"user-{attempt}", "guess", address="192.0.2.50")
    assert log_in(client, "bob", "bob-password-long", address="192.0.2.50").status_code == 429
    assert log_in(client, "bob", "bob-password-long", address="192.0.2.51").status_code == 302


@pytest.mark.django_db
def test_unlocking_in_the_admin_is_an_audit_entry(admin_client):
    for attempt in range(20):
        log_in(Client(), "carol", f"guess-{attempt}")
    attempt = AccessAttempt.objects.get(username="carol")
    response = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    [unlocked] = entries("admin-delete", "AccessAttempt")
    assert unlocked.actor == "root" and unlocked.before["username"] == "carol"
    assert admin_client.post(f"/admin/axes/accesslog/{AccessLog.objects.first().pk}/delete/",
                             {"post": "yes"}).status_code == 403


@pytest.mark.django_db
def test_api_tokens_are_not_a_guessing_oracle():
    owner = make_user("otto", Role.OPERATOR)
    _, real = issue_token(owner, "ci")
    for attempt in range(19):
        wrong = bearer(f"smiui_wrong-{attempt}").get("/api/me/", REMOTE_ADDR="203.0.113.8")
        assert wrong.status_code in (401, 403)
    twentieth = bearer("smiui_wrong-20").get("/api/me/", REMOTE_ADDR="203.0.113.8")
    assert twentieth.status_code == 429 and twentieth.json()["errors"][0]["code"] == "locked_out"
    refused = bearer("smiui_wrong-21").get("/api/me/", REMOTE_ADDR="203.0.113.8")  # guessing cannot go on
    assert refused.status_code == 429 and refused.json()["errors"][0]["message"].startswith("too many unknown")
    assert int(refused["Retry-After"]) == 15 * 60
    # valid tokens behind the same address keep working: a guesser cannot lock everyone's automation out
    assert bearer(real).get("/api/me/", REMOTE_ADDR="203.0.113.8").status_code == 200
    assert bearer(real).get("/api/me/", REMOTE_ADDR="203.0.113.9").status_code == 200
    failed = entries("token-failed", "ApiToken")
    assert len(failed) == 20 and {(entry.source, entry.ip) for entry in failed} == {("api", "203.0.113.8")}
    [lockout] = entries("lockout", "ApiToken")
    assert "API tokens" in lockout.summary and "203.0.113.8" in lockout.summary
    end_lockouts()
    assert bearer(real).get("/api/me/", REMOTE_ADDR="203.0.113.8").status_code == 200


@pytest.mark.django_db
def test_the_token_api_is_throttled():
    session = APIClient()
    session.force_authenticate(make_user("otto", Role.OPERATOR))
    statuses = [session.post("/api/access/tokens/", {"name": f"t{n}"}, format="json").status_code
                for n in range(21)]
    assert statuses == [201] * 20 + [429]
    throttled = session.post("/api/access/tokens/", {"name": "more"}, format="json")
    assert throttled.status_code == 429 and throttled.json()["errors"][0]["code"] == "throttled"
    assert "Retry-After" in throttled
    assert session.get("/api/access/tokens/").status_code == 200  # listing is not limited
    assert ApiToken.objects.count() == 20


@pytest.mark.django_db
def test_cutting_off_the_newest_entries_and_resetting_the_head_fails_verify():
    """Someone with database write access deletes the last entries and points the head at what is left."""
    add_entries(5)
    assert chain.verify().ok
    kept = AuditEntry.objects.get(sequence=2)
    AuditEntry.objects.filter(sequence__gt=2).delete()
    AuditChainHead.objects.filter(pk=1).update(last_sequence=2, last_hash=kept.hash)
    report = chain.verify()
    assert not report.ok and "seal does not hold" in report.broken.reason
    AuditChainHead.objects.all().delete()  # or removes the head altogether
    report = chain.verify()
    assert not report.ok and "head is missing" in report.broken.reason


@pytest.mark.django_db
def test_a_later_entry_seals_the_head_again():
    add_entries(2)
    add_entries(1)
    assert chain.verify().ok


@pytest.mark.django_db
def test_the_maximum_lifetime_bounds_tokens_issued_before_it(settings):
    owner = make_user("olga", Role.OPERATOR)
    settings.API_TOKEN_MAX_DAYS = 0  # no maximum when it was issued
    record, token = issue_token(owner, "old automation")
    assert record.expires_at is None and authenticate_token(token) is not None
    ApiToken.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=40))
    settings.API_TOKEN_MAX_DAYS = 30
    assert authenticate_token(token) is None
