"""Tokens may be granted the right to issue tokens, and remember the token that issued them."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_role_groups")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="issued_by",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="issued",
                to="accounts.apitoken",
                help_text="The token that issued this one; revoking it revokes this one too",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="may_issue_tokens",
            field=models.BooleanField(
                default=False,
                help_text="Whether automation holding this token may issue tokens (never tokens that may)",
            ),
        ),
    ]
