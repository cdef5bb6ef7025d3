"""`manage.py clusters add|list|rotate-keys`: register clusters and see their sync status."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from smi_ui.clusters import crypto
from smi_ui.clusters.models import Cluster
from smi_ui.clusters.services import RegistrationError, register_from_kubeconfig, register_in_cluster


class Command(BaseCommand):
    help = "Register clusters (from a kubeconfig or in-cluster) and show their sync status."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register the contexts of a kubeconfig")
        add.add_argument("--kubeconfig", type=Path,
                         help="the files it names are read now and stored inline (relative to its folder); "
                              "exec plugins only for commands in KUBECONFIG_EXEC_ALLOWED_COMMANDS")
        group = add.add_mutually_exclusive_group()
        group.add_argument("--context")
        group.add_argument("--all-contexts", action="store_true")
        add.add_argument("--in-cluster", action="store_true", help="register the cluster this pod runs in")
        sub.add_parser("list", help="show clusters and their sync status")
        sub.add_parser("rotate-keys", help="re-encrypt stored credentials with the newest CREDENTIALS_KEYS key")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"handle_{action.replace('-', '_')}")(**options)

    def handle_add(self, *, kubeconfig: Path | None, context: str | None, all_contexts: bool, in_cluster: bool,
                   **_: object) -> None:
        if in_cluster:
            cluster = register_in_cluster()
            self.stdout.write(f"registered {cluster.name} (in-cluster)")
            return
        if kubeconfig is None:
            raise CommandError("give --kubeconfig PATH (with --context NAME or --all-contexts), or --in-cluster")
        try:
            clusters = register_from_kubeconfig(kubeconfig, context=context, all_contexts=all_contexts)
        except RegistrationError as error:
            raise CommandError(str(error)) from None
        for cluster in clusters:
            self.stdout.write(f"registered {cluster.name} -> {cluster.api_server}")

    def handle_list(self, **_: object) -> None:
        clusters = list(Cluster.objects.prefetch_related("kind_statuses"))
        if not clusters:
            self.stdout.write("no clusters registered; add one with: manage.py clusters add --kubeconfig PATH")
            return
        for cluster in clusters:
            stale = f" since {cluster.stale_since:%Y-%m-%d %H:%M:%S}" if cluster.stale_since else ""
            self.stdout.write(f"{cluster}  {cluster.api_server}  {cluster.state}{stale}")
            if cluster.last_error:
                self.stdout.write(f"    last error: {cluster.last_error}")
            if cluster.discovered_at and not cluster.has_smi:
                self.stdout.write("    no SMI CRDs served: only Services and workloads are synced")
            for status in cluster.kind_statuses.all():
                self.stdout.write(f"    {status.kind:<16} {status.api_version:<32} {status.state:<10} "
                                  f"{status.listed} listed")

    def handle_rotate_keys(self, **_: object) -> None:
        count = 0
        for cluster in Cluster.objects.exclude(credentials_encrypted=""):
            Cluster.objects.filter(pk=cluster.pk).update(
                credentials_encrypted=crypto.rotate(cluster.credentials_encrypted)
            )
            count += 1
        self.stdout.write(f"re-encrypted the credentials of {count} cluster(s)")
