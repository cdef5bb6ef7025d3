"""Probes and metrics: what a kubelet and a Prometheus scraper see."""

import logging

import pytest
from django.test import override_settings

from smi_ui.audit.context import bound
from smi_ui.audit.services import Attempt, record_attempt
from smi_ui.clusters.models import Cluster, KindStatus
from smi_ui.ops.logging import RequestIdFilter

pytestmark = pytest.mark.django_db

BROKEN_REDIS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]}}}


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_and_channel_layer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "channel_layer": "ok"}


def test_readyz_is_not_ready_when_the_channel_layer_is_down(client):
    from channels.layers import channel_layers

    with override_settings(CHANNEL_LAYERS=BROKEN_REDIS):
        channel_layers.backends.clear()
        try:
            response = client.get("/readyz")
        finally:
            channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"].startswith("unavailable")
    assert response.json()["checks"]["database"] == "ok"


def test_metrics_are_served_to_loopback_with_sync_and_request_figures(client):
    cluster = Cluster.objects.create(name="prod", api_server="https://example.invalid")
    KindStatus.objects.create(cluster=cluster, kind="TrafficSplit", api_version="split.smi-spec.io/v1alpha4",
                              state="stale", listed=42)
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert 'smi_ui_sync_objects{cluster="prod",kind="TrafficSplit"} 42.0' in body
    assert 'smi_ui_sync_stale{cluster="prod",kind="TrafficSplit"} 1.0' in body
    assert 'smi_ui_http_requests_total{method="GET",status="2xx"}' in body


def test_metrics_refuse_other_hosts_without_a_token(client):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403


@override_settings(METRICS_TOKEN="scrape-secret")
def test_metrics_need_the_bearer_token_when_one_is_configured(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_audit_writes_are_counted_by_outcome(client):
    def counted() -> float:
        for line in client.get("/metrics").content.decode().splitlines():
            if line.startswith('smi_ui_audit_entries_total{outcome="conflict"}'):
                return float(line.split()[-1])
        return 0.0

    before = counted()
    record_attempt(Attempt(action="set-weights", kind="TrafficSplit", namespace="ns", name="x"), outcome="conflict")
    assert counted() == before + 1


def test_log_records_carry_the_request_id():
    record = logging.LogRecord("smi_ui", logging.INFO, __file__, 1, "message", None, None)
    with bound(request_id="req-123"):
        RequestIdFilter().filter(record)
    assert record.request_id == "req-123"
