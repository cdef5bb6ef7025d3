"""Attacks on accounts and the audit log: password guessing, admin changes that skip the audit chain,
tokens minting tokens, rewriting audit history in the database, forced re-verification, weak keys."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import override_settings

from smi_ui.accounts.roles import Role
from smi_ui.audit import chain, keys
from smi_ui.audit.models import AuditChainHead, AuditEntry
from smi_ui.audit.services import Attempt, record_attempt
from smi_ui.env import secret_key_weakness
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
    make_legacy()  # as the migration leaves the entries written before the chain was keyed
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
    assert not report.ok and report.broken.sequence == 4 and "prev_hash" in report.broken.reason  # the keyed seal


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
