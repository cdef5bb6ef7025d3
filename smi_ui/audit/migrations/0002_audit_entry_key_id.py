"""Entries record the key that sealed them; those written before keying are marked `legacy` and keep their hash."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(
                default="legacy", editable=False, max_length=16,
                help_text="The key that sealed the hash (`legacy`: plain sha256, before keying)",
            ),
            preserve_default=False,
        ),
    ]
