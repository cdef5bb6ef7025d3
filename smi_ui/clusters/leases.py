"""Sync leases in the database: one conditional UPDATE decides who holds a cluster.

The UPDATE succeeds only for the current holder (renewal) or when the lease has expired
(takeover), so two processes can never both believe they hold it; this works the same
on PostgreSQL and SQLite. A holder that dies simply stops renewing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import SyncLease


def acquire_or_renew(cluster_id: int, holder: str, ttl: timedelta) -> bool:
    now = timezone.now()
    try:
        with transaction.atomic():
            SyncLease.objects.get_or_create(cluster_id=cluster_id)
    except IntegrityError:
        pass  # created concurrently by another process
    renewed = SyncLease.objects.filter(cluster_id=cluster_id, holder=holder).update(
        expires_at=now + ttl, renewed_at=now
    )
    if renewed:
        return True
    taken = SyncLease.objects.filter(
        Q(cluster_id=cluster_id) & (Q(holder="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now))
    ).update(holder=holder, expires_at=now + ttl, acquired_at=now, renewed_at=now)
    return bool(taken)


def release(cluster_id: int, holder: str) -> None:
    SyncLease.objects.filter(cluster_id=cluster_id, holder=holder).update(holder="", expires_at=None)


def holder_of(cluster_id: int) -> str:
    lease = SyncLease.objects.filter(cluster_id=cluster_id, expires_at__gt=timezone.now()).first()
    return lease.holder if lease else ""
