"""Run the dashboard: the ASGI server for pages, the API and websockets."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the dashboard with daphne (HTTP and websockets) and print where to open it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options) -> None:
        from daphne.cli import CommandLineInterface

        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(self.style.SUCCESS(f"smi-ui is starting at http://{shown_host}:{port}/"))
        self.stdout.write("Log in with the administrator account printed above (first run only).")
        CommandLineInterface().run(["-b", host, "-p", str(port), "smi_ui.asgi:application"])
