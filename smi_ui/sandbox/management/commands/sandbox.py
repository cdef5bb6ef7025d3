"""`manage.py sandbox`: serve a sandbox Kubernetes API (optionally with the demo world)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from smi_ui.sandbox.cli import add_arguments, serve


class Command(BaseCommand):
    help = "Serve an in-memory Kubernetes API server that kubectl and the dashboard can use."

    def add_arguments(self, parser) -> None:
        add_arguments(parser)

    def handle(self, *args, **options) -> None:
        serve(options, announce=self.stdout.write)
