"""Writing many rows at once: PostgreSQL's COPY where available, bulk INSERT elsewhere; updates
of many rows as one prepared UPDATE executed for each (Django's `bulk_update` builds a CASE
expression per row and column in Python, which costs milliseconds per row).

A first sync of a large cluster writes tens of thousands of objects and revisions; COPY
streams them in one statement per batch, several times faster than multi-row INSERTs.
COPY cannot skip conflicting rows, so a conflict (a row written meanwhile by another
path) rolls the batch back and it is retried with INSERT ... ON CONFLICT DO NOTHING, which
is what other databases get, as one prepared statement executed for every row.
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
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks}) "  # noqa: S608 - quoted names
           "ON CONFLICT DO NOTHING")
    rows = [[f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields] for instance in instances]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update_rows(model: type[models.Model], instances: Sequence[models.Model], field_names: Sequence[str]) -> None:
    """Write `field_names` of saved `instances` back, one parametrised UPDATE run for every row."""
    if not instances:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    table, key = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608 - quoted model names; values bound
    rows = [[field.get_db_prep_save(getattr(instance, field.attname), connection) for field in fields] + [instance.pk]
            for instance in instances]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


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
