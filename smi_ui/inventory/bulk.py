"""Inserting many new rows at once: PostgreSQL's COPY where available, bulk INSERT elsewhere.

A first sync of a large cluster writes tens of thousands of objects and revisions; COPY
streams them in one statement per batch, several times faster than multi-row INSERTs.
COPY cannot skip conflicting rows, so a conflict (a row written meanwhile by another
path) rolls the batch back and it is retried with INSERT ... ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction


def insert_new(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """Insert `instances` (unsaved) in one transaction; rows that already exist are skipped."""
    if not instances:
        return
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic():
                _copy(model, instances)
            return
        except IntegrityError:
            pass
    with transaction.atomic():
        model.objects.bulk_create(instances, ignore_conflicts=True)


def _copy(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    with connection.cursor() as cursor:
        copy_cursor = cursor.cursor  # the psycopg cursor behind Django's wrapper
        with copy_cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for instance in instances:
                copy.write_row([
                    _json(getattr(instance, f.attname)) if f.attname in json_fields else getattr(instance, f.attname)
                    for f in fields
                ])


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, cls=DjangoJSONEncoder)
