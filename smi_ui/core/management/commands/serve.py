"""Run the dashboard: the ASGI server for pages, the API and websockets, plus sync.

With no cluster registered, the clusters of the user's kubeconfig are registered; with no
kubeconfig either, a demo sandbox cluster holding the demo world is started and registered.
Once the server accepts connections a banner states where it is and how to log in; the
access log goes to a file so that nothing scrolls the banner away. On stop, sync ends
before the demo cluster does, so no watch is left talking to a server that is gone.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

#: How long the banner waits for the server to accept connections before it is printed anyway.
READY_TIMEOUT_SECONDS = 60


#: Addresses a server listens on that a client reaches through loopback.
ANY_ADDRESS = {"0.0.0.0", "::"}  # noqa: S104 - compared with, never bound to


def _accepting(host: str, port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1" if host in ANY_ADDRESS else host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Serve the dashboard with daphne (HTTP and websockets), with sync running alongside."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-sync", action="store_true", help="serve pages only (sync runs elsewhere)")
        parser.add_argument("--demo", action="store_true", help="start the demo cluster even if a kubeconfig exists")
        parser.add_argument("--access-log", default=None,
                            help="where the access log goes (default: access.log in the data folder; - for stdout)")

    def handle(self, *args, host: str, port: int, no_sync: bool, demo: bool, access_log: str | None,
               **options) -> None:
        from smi_ui.clusters.demo import start_demo_cluster, stop_demo_cluster, user_kubeconfig
        from smi_ui.clusters.models import Cluster
        from smi_ui.clusters.services import register_from_kubeconfig, register_in_cluster, running_in_cluster
        from smi_ui.clusters.sync import SyncWorker
        from smi_ui.ops.webserver import WebServerCommandLine

        notes: list[str] = []
        sandbox = worker = worker_thread = None
        if not no_sync and running_in_cluster():
            register_in_cluster()
        if not no_sync:
            kubeconfig = user_kubeconfig()
            real_clusters = Cluster.objects.filter(is_demo=False)
            if demo or (kubeconfig is None and not real_clusters.exists()):
                try:
                    sandbox, cluster = start_demo_cluster()
                except RuntimeError as error:
                    raise CommandError(str(error)) from None
                notes.append(f"Demo cluster '{cluster.name}' at {sandbox.url} (no kubeconfig found; labelled demo)")
            elif not real_clusters.exists():
                for cluster in register_from_kubeconfig(kubeconfig):
                    notes.append(f"Registered cluster '{cluster.name}' from {kubeconfig}")
            worker = SyncWorker()
            worker_thread = threading.Thread(target=worker.run, name="sync-worker", daemon=True)
            worker_thread.start()

        log_target = access_log or str(Path(settings.DATA_DIR) / "access.log")
        if log_target != "-":
            Path(log_target).parent.mkdir(parents=True, exist_ok=True)
        if log_target != "-":
            notes.append(f"Access log: {log_target}")
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{port}/"
        threading.Thread(target=self._banner_when_ready, args=(host, port, url, notes), daemon=True,
                         name="startup-banner").start()
        try:
            WebServerCommandLine().run(["-b", host, "-p", str(port), "--access-log", log_target,
                                        "smi_ui.asgi:application"])
        finally:
            if worker is not None:
                worker.stop()
                worker_thread.join(15)
            if sandbox is not None:
                stop_demo_cluster(sandbox)  # saved for the next start

    def _banner_when_ready(self, host: str, port: int, url: str, notes: list[str]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not _accepting(host, port) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.stdout.write(banner(url, notes))


def banner(url: str, notes: list[str]) -> str:
    """The lines a person needs to start: where to open, and with which account."""
    from django.db import connection

    from smi_ui.core.first_admin import initial_credentials

    try:
        credentials = initial_credentials()
    finally:
        connection.close()
    if credentials:
        login = [f"Log in as:  {credentials[0]}", f"Password:   {credentials[1]}",
                 "            (generated on the first run; shown until you change it)"]
    else:
        login = ["Log in with your account. Forgot the admin password?",
                 "            .venv/bin/python manage.py changepassword admin"]
    lines = [f"smi-ui is ready:  {url}", "", *login, "", *notes]
    width = max(len(line) for line in lines) + 4
    rule = "=" * width
    return "\n".join(["", rule, *(f"  {line}" for line in lines), rule, ""])
