"""Create the first administrator on a fresh install, printing its password once."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser with a generated password if none exists; print the password once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            names = ", ".join(users.objects.filter(is_superuser=True).values_list("username", flat=True)[:5])
            self.stdout.write(
                f"Administrator account(s) already exist: {names}. Use the password printed when it was "
                f"created, or reset it with: python manage.py changepassword {username}"
            )
            return
        password = secrets.token_urlsafe(18)
        users.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(self.style.SUCCESS("Created the first administrator account."))
        self.stdout.write(f"  username: {username}")
        self.stdout.write(f"  password: {password}")
        self.stdout.write("  This password is shown only once: store it now.")
