"""METRICS_PROVIDERS mistakes are reported at startup, naming the entry and the field."""

from __future__ import annotations

import pytest

from smi_ui.metrics.checks import check_metrics_providers


@pytest.mark.parametrize(("providers", "expected"), [
    ({"*": {"provider": "graphite"}}, "METRICS_PROVIDERS['*'].provider is 'graphite'"),
    ({"prod": {"provider": "prometheus"}}, "METRICS_PROVIDERS['prod'].url must be the Prometheus base URL"),
    ({"*": {"provider": "prometheus", "url": "http://p:9090", "flavour": "consul"}},
     "METRICS_PROVIDERS['*'].flavour is 'consul'"),
    ({"*": {"provider": "prometheus", "url": "http://p:9090", "queries": {"edges": "up"}}},
     "METRICS_PROVIDERS['*'].queries: unknown query names ['edges']"),
    ({"*": {"provider": "prometheus", "url": "http://p:9090",
            "queries": {"edge_requests": 'sum(rate(x{job="a"}[{window}]))'}}},
     "METRICS_PROVIDERS['*'].queries.edge_requests is not a valid template"),
    ({"*": "prometheus"}, "METRICS_PROVIDERS['*'] must be an object"),
])
def test_each_mistake_is_named(settings, providers, expected):
    settings.METRICS_PROVIDERS = providers
    messages = [error.msg for error in check_metrics_providers()]
    assert len(messages) == 1 and messages[0].startswith(expected), messages


def test_good_settings_pass(settings):
    settings.METRICS_PROVIDERS = {
        "*": {"provider": "smi-metrics-api"}, "lab": {"provider": "none"},
        "prod": {"provider": "prometheus", "url": "https://prometheus:9090", "flavour": "istio",
                 "queries": {"edge_requests": 'sum(rate(istio_requests_total{{ns="{namespace}"}}[{window}])) by (x)'}}}
    assert check_metrics_providers() == []
