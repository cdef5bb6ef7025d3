"""Create the first administrator on a fresh install, keeping its generated password for the startup banner."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from smi_ui.core.first_admin import remember_initial_password


class Command(BaseCommand):
    help = "Create a superuser with a generated password if none exists (shown in `serve`'s startup banner)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            names = ", ".join(users.objects.filter(is_superuser=True).values_list("username", flat=True)[:5])
            self.stdout.write(f"Administrator account(s): {names}.")
            return
        password = secrets.token_urlsafe(18)
        users.objects.create_superuser(username=username, email="", password=password)
        where = remember_initial_password(username, password)
        self.stdout.write(self.style.SUCCESS("Created the first administrator account."))
        self.stdout.write(f"  username: {username}")
        self.stdout.write(f"  password: {password}")
        self.stdout.write(f"  (kept in {where}, readable only by you, until the password is changed)")
