"""Which rows match the query parameters: one definition per model, for lists and exports alike."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from smi_ui.inventory.models import KubeObject
from smi_ui.smi.kinds import REGISTRY


class KubeObjectFilterSet(django_filters.FilterSet):
    """cluster, namespace, kind (name or plural), name (exact or `name__contains`), label selector."""

    cluster = django_filters.CharFilter(field_name="cluster__name")
    namespace = django_filters.CharFilter()
    kind = django_filters.CharFilter(method="filter_kind")
    name = django_filters.CharFilter()
    name__contains = django_filters.CharFilter(field_name="name", lookup_expr="contains")
    label = django_filters.CharFilter(method="filter_label",
                                      help_text="Label selector: `key`, `key=value` or `key!=value`, comma-separated")

    class Meta:
        model = KubeObject
        fields = ["cluster", "namespace", "kind", "name"]

    def filter_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        info = REGISTRY.from_url(value)
        return queryset.filter(kind=info.kind if info else value)

    def filter_label(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return filter_by_labels(queryset, value)


def filter_by_labels(queryset: QuerySet, selector: str) -> QuerySet:
    """Equality-based label selectors, as kubectl writes them, on the JSON `labels` column (SQLite and PostgreSQL)."""
    for requirement in (part.strip() for part in selector.split(",")):
        if not requirement:
            continue
        negate = "!=" in requirement
        key, _, value = requirement.partition("!=" if negate else "=")
        key, value = key.strip(), value.strip().lstrip("=")
        if not key or "__" in key:
            raise ValidationError({"label": [f"{requirement!r}: label keys are non-empty and contain no '__'"]})
        if "=" not in requirement:
            queryset = queryset.filter(labels__has_key=key)
            continue
        match = {f"labels__{key}__exact": value}  # `__exact`: a key named like a lookup stays a key
        queryset = queryset.exclude(**match) if negate else queryset.filter(**match)
    return queryset


def filtered(filterset_class: type[django_filters.FilterSet], params: Any, queryset: QuerySet) -> QuerySet:
    """Apply a filterset, turning invalid parameters into a 400 that names them."""
    filterset = filterset_class(params, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs
