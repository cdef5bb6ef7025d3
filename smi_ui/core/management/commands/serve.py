"""Run the dashboard: the ASGI server for pages, the API and websockets, plus sync.

With no cluster registered, the clusters of the user's kubeconfig are registered; with no
kubeconfig either, a demo sandbox cluster holding the demo world is started and registered.
"""

from __future__ import annotations

import threading

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the dashboard with daphne (HTTP and websockets), with sync running alongside."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-sync", action="store_true", help="serve pages only (sync runs elsewhere)")
        parser.add_argument("--demo", action="store_true", help="start the demo cluster even if a kubeconfig exists")

    def handle(self, *args, host: str, port: int, no_sync: bool, demo: bool, **options) -> None:
        from daphne.cli import CommandLineInterface

        from smi_ui.clusters.demo import start_demo_cluster, user_kubeconfig
        from smi_ui.clusters.models import Cluster
        from smi_ui.clusters.services import register_from_kubeconfig, register_in_cluster, running_in_cluster
        from smi_ui.clusters.sync import SyncWorker

        sandbox = None
        if not no_sync and running_in_cluster():
            register_in_cluster()
        if not no_sync:
            kubeconfig = user_kubeconfig()
            real_clusters = Cluster.objects.filter(is_demo=False)
            if demo or (kubeconfig is None and not real_clusters.exists()):
                sandbox, cluster = start_demo_cluster()
                self.stdout.write(f"No kubeconfig found: started the DEMO cluster at {sandbox.url} "
                                  f"(registered as '{cluster.name}', labelled demo in the dashboard)")
            elif not real_clusters.exists():
                for cluster in register_from_kubeconfig(kubeconfig):
                    self.stdout.write(f"Registered cluster '{cluster.name}' from {kubeconfig}")
            worker = SyncWorker()
            threading.Thread(target=worker.run, name="sync-worker", daemon=True).start()
            self.stdout.write(f"Sync worker {worker.holder} started")

        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(self.style.SUCCESS(f"smi-ui is starting at http://{shown_host}:{port}/"))
        self.stdout.write("Log in with the administrator account printed above (first run only).")
        try:
            CommandLineInterface().run(["-b", host, "-p", str(port), "smi_ui.asgi:application"])
        finally:
            if sandbox is not None:
                sandbox.stop()
