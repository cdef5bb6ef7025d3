"""Settings read from the environment fail loudly, naming the variable, instead of guessing."""

from __future__ import annotations

import pytest

from smi_ui.env import env_float, env_json_object


def test_numbers_are_read_and_bounded(monkeypatch):
    monkeypatch.setenv("METRICS_POLL_SECONDS", "2.5")
    assert env_float("METRICS_POLL_SECONDS", 5.0, minimum=1.0) == 2.5
    monkeypatch.setenv("METRICS_POLL_SECONDS", "0.2")
    with pytest.raises(ValueError, match="METRICS_POLL_SECONDS='0.2' is below the minimum of 1"):
        env_float("METRICS_POLL_SECONDS", 5.0, minimum=1.0)
    monkeypatch.setenv("METRICS_POLL_SECONDS", "fast")
    with pytest.raises(ValueError, match="METRICS_POLL_SECONDS='fast' is not a number"):
        env_float("METRICS_POLL_SECONDS", 5.0)
    monkeypatch.delenv("METRICS_POLL_SECONDS")
    assert env_float("METRICS_POLL_SECONDS", 5.0) == 5.0


def test_provider_configuration_must_be_a_json_object(monkeypatch):
    monkeypatch.setenv("METRICS_PROVIDERS", '{"*": {"provider": "prometheus", "url": "http://p:9090"}}')
    assert env_json_object("METRICS_PROVIDERS") == {"*": {"provider": "prometheus", "url": "http://p:9090"}}
    monkeypatch.setenv("METRICS_PROVIDERS", '["prometheus"]')
    with pytest.raises(ValueError, match="METRICS_PROVIDERS must be a JSON object, not list"):
        env_json_object("METRICS_PROVIDERS")
    monkeypatch.setenv("METRICS_PROVIDERS", "{provider: prometheus}")
    with pytest.raises(ValueError, match="METRICS_PROVIDERS is not valid JSON"):
        env_json_object("METRICS_PROVIDERS")
    monkeypatch.delenv("METRICS_PROVIDERS")
    assert env_json_object("METRICS_PROVIDERS") is None
