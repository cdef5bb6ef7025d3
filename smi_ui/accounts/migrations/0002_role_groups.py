"""One Django group per role with an unscoped grant, so roles are assigned by group membership in the admin."""

from django.db import migrations

ROLE_GROUPS = {
    "viewer": "viewers",
    "operator": "operators",
    "policy-editor": "policy-editors",
    "auditor": "auditors",
    "admin": "admins",
}


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Grant = apps.get_model("accounts", "Grant")
    for role, name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        Grant.objects.get_or_create(group=group, role=role, cluster=None, namespace="")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
