"""Credentials are encrypted at rest, rotatable, and never shown back."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import override_settings

from smi_ui.clusters.crypto import CredentialsUnreadable
from smi_ui.clusters.models import AuthMethod, Cluster

pytestmark = pytest.mark.django_db

TOKEN = "sha256~very-secret-token-value"


def _cluster(**kwargs) -> Cluster:
    cluster = Cluster(name="prod", api_server="https://10.0.0.1:6443", auth_method=AuthMethod.TOKEN, **kwargs)
    cluster.set_credentials({"token": TOKEN})
    cluster.save()
    return cluster


def test_credentials_are_stored_encrypted_and_read_back():
    cluster = _cluster()
    stored = Cluster.objects.values_list("credentials_encrypted", flat=True).get(pk=cluster.pk)
    assert TOKEN not in stored
    assert Cluster.objects.get(pk=cluster.pk).credentials == {"token": TOKEN}


def test_rotating_keys_keeps_credentials_readable_with_only_the_new_key():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    with override_settings(CREDENTIALS_KEYS=[old]):
        cluster = _cluster()
    with override_settings(CREDENTIALS_KEYS=[new, old]):
        call_command("clusters", "rotate-keys")
    with override_settings(CREDENTIALS_KEYS=[new]):
        assert Cluster.objects.get(pk=cluster.pk).credentials == {"token": TOKEN}
    with override_settings(CREDENTIALS_KEYS=[old]), pytest.raises(CredentialsUnreadable):
        Cluster.objects.get(pk=cluster.pk).credentials  # noqa: B018


def test_admin_change_page_never_renders_the_secret(admin_client):
    cluster = _cluster()
    page = admin_client.get(f"/admin/clusters/cluster/{cluster.pk}/change/").content.decode()
    assert TOKEN not in page
    assert cluster.credentials_encrypted not in page


def test_admin_keeps_stored_token_when_field_left_empty(admin_client):
    cluster = _cluster()
    response = admin_client.post(
        f"/admin/clusters/cluster/{cluster.pk}/change/",
        {
            "name": "prod", "api_server": "https://10.0.0.2:6443", "auth_method": "token", "enabled": "on",
            "kind_statuses-TOTAL_FORMS": "0", "kind_statuses-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    cluster.refresh_from_db()
    assert cluster.api_server == "https://10.0.0.2:6443"
    assert cluster.credentials == {"token": TOKEN}
