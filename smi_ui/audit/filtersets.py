"""Which audit entries match a set of parameters: shared by the API list, its exports and the CLI export."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from .models import AuditEntry, Outcome, Source


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 bound converted to UTC while the form is cleaned, so a bound no database can hold
    (PostgreSQL stops at ±15:59 offsets; year 1 with a positive offset leaves the calendar) is an
    invalid parameter named as such, not an error while the query runs."""

    def clean(self, value: Any) -> datetime | None:
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            return cleaned.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("the timestamp is out of range", code="out_of_range") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 bound, compared in UTC."""

    field_class = UtcIsoDateTimeField


class AuditEntryFilterSet(django_filters.FilterSet):
    """Exact filters on who/what/where, plus a [since, until) time window (ISO 8601)."""

    actor = django_filters.CharFilter()
    cluster = django_filters.CharFilter(field_name="cluster_name")
    namespace = django_filters.CharFilter()
    kind = django_filters.CharFilter()
    name = django_filters.CharFilter()
    action = django_filters.CharFilter()
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    request_id = django_filters.CharFilter()
    dry_run = django_filters.BooleanFilter()
    since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields: list[str] = []
