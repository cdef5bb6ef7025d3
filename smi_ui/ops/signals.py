"""Counting audit writes as they are stored, whatever path wrote them."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from smi_ui.audit.models import AuditEntry

from .metrics import AUDIT_WRITES


@receiver(post_save, sender=AuditEntry, dispatch_uid="ops-count-audit-writes")
def count_audit_write(sender, instance: AuditEntry, created: bool, **kwargs) -> None:
    if created:
        AUDIT_WRITES.labels(outcome=str(instance.outcome)).inc()
