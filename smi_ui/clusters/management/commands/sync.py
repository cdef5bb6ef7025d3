"""`manage.py sync`: run a sync worker until interrupted."""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand

from smi_ui.clusters.services import register_in_cluster, running_in_cluster
from smi_ui.clusters.sync import SyncWorker


class Command(BaseCommand):
    help = "Sync every registered cluster this process holds the lease for (list + watch)."

    def handle(self, *args, **options) -> None:
        if running_in_cluster():
            cluster = register_in_cluster()
            self.stdout.write(f"running in a pod: cluster '{cluster.name}' is synced through its service account")
        worker = SyncWorker()
        signal.signal(signal.SIGTERM, lambda *_: worker.stop())
        self.stdout.write(f"sync worker {worker.holder} started")
        try:
            worker.run()
        except KeyboardInterrupt:
            worker.stop()
