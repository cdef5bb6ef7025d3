"""Changes made in the Django admin go into the audit chain like every other change.

The admin writes models directly, past the services the API and the pages use, so every
admin of a model that carries security or audit meaning is either read-only or mixes in
AuditedAdminMixin: each save or delete becomes one audit entry (who, from where, what,
before and after), written in the same transaction as the change itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest

from .models import Outcome
from .services import Attempt, record_attempt


def fingerprint(value: Any) -> str:
    """Stands in for a secret in an audit entry: tells whether it is set and whether it changed, nothing more."""
    if not value:
        return ""
    text = json.dumps(value, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return "set, fingerprint " + hashlib.sha256(text.encode()).hexdigest()[:12]


def snapshot(obj: models.Model, secret_fields: Iterable[str] = (),
             reveal: Callable[[models.Model, str], Any] | None = None) -> dict[str, Any]:
    """A JSON-safe record of a row's fields and many-to-many links; secrets appear as fingerprints of
    `reveal(obj, field)` (the stored value by default: a ciphertext would change on every save)."""
    secrets = set(secret_fields)
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = field.value_from_object(obj)
        if field.name in secrets:
            value = fingerprint(reveal(obj, field.name) if reveal is not None else value)
        data[field.name] = value
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            data[field.name] = sorted(str(item) for item in getattr(obj, field.name).all())
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def record_admin_change(action: str, obj: models.Model, *, before: dict[str, Any] | None,
                        after: dict[str, Any] | None, message: str = "") -> None:
    """One audit entry for a change made in the admin; the actor comes from the request context."""
    cluster = obj if obj._meta.label == "clusters.Cluster" else getattr(obj, "cluster", None)
    namespace = getattr(obj, "namespace", "")
    record_attempt(Attempt(
        action=action, kind=obj._meta.object_name or "", name=str(obj)[:253],
        namespace=namespace if isinstance(namespace, str) else "",
        cluster_id=getattr(cluster, "pk", None), cluster_name=getattr(cluster, "name", "") or "",
        summary=f"{action} {obj._meta.verbose_name} {obj} in the admin" + (f": {message}" if message else ""),
        before=before, after=after,
    ), outcome=Outcome.SUCCEEDED)


class AuditedAdminMixin:
    """Records every add, change and delete made through this ModelAdmin in the audit chain."""

    #: Fields recorded only as fingerprints (password hashes, encrypted credentials, digests).
    audit_secret_fields: tuple[str, ...] = ()

    def audit_secret_value(self, obj: models.Model, field_name: str) -> Any:
        """What a secret field's fingerprint is taken of (override to decrypt first)."""
        return getattr(obj, field_name)

    def _snapshot(self, obj: models.Model) -> dict[str, Any]:
        return snapshot(obj, self.audit_secret_fields, self.audit_secret_value)

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            obj._audit_before = self._snapshot(stored) if stored is not None else None  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)  # type: ignore[misc]
        record_admin_change("admin-create", obj, before=None, after=self._snapshot(_fresh(obj)))
        return entry

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        before = getattr(obj, "_audit_before", None)
        after = self._snapshot(_fresh(obj))
        if before != after:
            record_admin_change("admin-change", obj, before=before, after=after)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        objects = list(queryset)
        result = super().log_deletions(request, objects)  # type: ignore[misc]
        for obj in objects:
            record_admin_change("admin-delete", obj, before=self._snapshot(obj), after=None)
        return result


class ReadOnlyAdminMixin:
    """Shown for reading only: never added, changed or deleted in the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _fresh(obj: models.Model) -> models.Model:
    """The row as stored now (many-to-many links are saved after the object itself)."""
    return type(obj)._default_manager.filter(pk=obj.pk).first() or obj
