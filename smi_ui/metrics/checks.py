"""Startup checks of the live-traffic settings: a mistake in METRICS_PROVIDERS is reported
once, naming the entry and the field, before the dashboard serves, instead of as a failure on
every refresh of every page that shows figures."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .providers.promql import FLAVOURS

PROVIDERS = ("smi-metrics-api", "prometheus", "none")
SAMPLE = {"namespace": "default", "window": "30s", "quantile": 0.99}


@register()
def check_metrics_providers(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    configured = getattr(settings, "METRICS_PROVIDERS", {}) or {}
    if not isinstance(configured, dict):
        return [Error("METRICS_PROVIDERS must be an object of cluster name -> provider settings", id="metrics.E001")]
    errors: list[Error] = []
    for cluster, config in configured.items():
        where = f"METRICS_PROVIDERS[{cluster!r}]"
        if not isinstance(config, dict):
            errors.append(Error(f"{where} must be an object such as {{\"provider\": \"smi-metrics-api\"}}",
                                id="metrics.E002"))
            continue
        provider = config.get("provider")
        if provider not in PROVIDERS:
            errors.append(Error(f"{where}.provider is {provider!r}; known: {', '.join(PROVIDERS)}", id="metrics.E003"))
            continue
        if provider != "prometheus":
            continue
        url = config.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            errors.append(Error(f"{where}.url must be the Prometheus base URL (http:// or https://), got {url!r}",
                                id="metrics.E004"))
        flavour = FLAVOURS.get(config.get("flavour", "linkerd"))
        if flavour is None:
            errors.append(Error(f"{where}.flavour is {config.get('flavour')!r}; known: {', '.join(sorted(FLAVOURS))}",
                                id="metrics.E005"))
            continue
        try:
            queries = flavour.with_overrides(config.get("queries")).queries
        except ValueError as error:
            errors.append(Error(f"{where}.queries: {error}", id="metrics.E006"))
            continue
        for name, template in queries.items():
            try:
                template.format(**SAMPLE)
            except (KeyError, IndexError, ValueError) as error:
                errors.append(Error(f"{where}.queries.{name} is not a valid template ({type(error).__name__}: "
                                    f"{error}); write PromQL braces as {{{{ }}}} and use {{namespace}}, {{window}}"
                                    ", {quantile}", id="metrics.E007"))
    return errors
