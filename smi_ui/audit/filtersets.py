"""Which audit entries match a set of parameters: shared by the API list, its exports and the CLI export."""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from .models import AuditEntry, Outcome, Source


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 bound, compared in UTC: databases refuse exotic offsets (PostgreSQL stops at ±15:59)."""

    def filter(self, qs: QuerySet, value: datetime | None) -> QuerySet:
        if value is None:
            return qs
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            raise ValidationError({self.field_name: ["the timestamp is out of range"]}) from None
        return super().filter(qs, value)


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
