"""The entries written before the chain was keyed are counted and sealed with the current key, once."""

from django.db import migrations, models


def seal(apps, schema_editor):
    from smi_ui.audit.keys import seal_legacy_entries

    seal_legacy_entries(apps.get_model("audit", "AuditEntry"), apps.get_model("audit", "AuditChainHead"))


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_audit_entry_key_id")]

    operations = [
        migrations.AddField(model_name="auditchainhead", name="legacy_entries",
                            field=models.PositiveBigIntegerField(default=0)),
        migrations.AddField(model_name="auditchainhead", name="legacy_seal",
                            field=models.CharField(blank=True, max_length=64)),
        migrations.AddField(model_name="auditchainhead", name="legacy_seal_key_id",
                            field=models.CharField(blank=True, max_length=16)),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
