"""`manage.py split set CLUSTER/NAMESPACE/NAME backend=weight ...`: weights from automation.

Goes through the same service as the dashboard (validation, ownership guard, dry run,
optimistic concurrency, audit with source `cli`). Without `--resource-version` the edit
is based on the version read when the command starts, so a change made meanwhile by
someone else is reported as a conflict rather than overwritten.
"""

from __future__ import annotations

import getpass
import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from smi_ui.audit import context
from smi_ui.audit.models import Source
from smi_ui.changes.actors import Actor
from smi_ui.changes.errors import ChangeError
from smi_ui.changes.pipeline import EditResult
from smi_ui.changes.selectors import live_object
from smi_ui.changes.services import DEFAULT_WEIGHTED_KIND, set_split_weights
from smi_ui.clusters.models import Cluster
from smi_ui.smi.kinds import kind_info


class Command(BaseCommand):
    help = (
        "Change TrafficSplit weights: split set CLUSTER/NAMESPACE/NAME backend=weight ..."  # kind-reference: its kind
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        setter = commands.add_parser("set", help="set the weights of some or all backends")
        setter.add_argument("split", help="CLUSTER/NAMESPACE/NAME")
        setter.add_argument("weights", nargs="+", help="backend=weight (integers; quantities such as 500m for "
                                                       "v1alpha1 splits)")
        setter.add_argument("--resource-version", help="the resourceVersion the change is based on "
                                                       "(default: the one read now)")
        setter.add_argument("--preview", action="store_true", help="show the diff and the dry-run verdict only")
        setter.add_argument("--force", action="store_true", help="edit even if a controller manages the split")
        setter.add_argument("--user", help="act as this dashboard user (their grants apply)")

    def handle(self, *args: Any, **options: Any) -> None:
        cluster, namespace, name = self._split_address(options["split"])
        weights = dict(self._weight(item) for item in options["weights"])
        actor = self._actor(options.get("user"))
        with context.bound(request_id=context.new_request_id(), user_agent="manage.py split set", source=Source.CLI):
            result = self._set(cluster, namespace, name, weights, actor, options)
        if result.dry_run:
            self.stdout.write(result.diff or "(no change)")
            self.stdout.write(f"dry run: {result.verdict.message}")
        else:
            version = ((result.object or {}).get("metadata") or {}).get("resourceVersion", "")
            self.stdout.write(f"{namespace}/{name} updated in cluster {cluster.name} (resourceVersion {version})")
        self.stdout.write("shares: " + json.dumps({s: v["percent"] for s, v in (result.shares or {}).items()}))

    @staticmethod
    def _set(cluster: Cluster, namespace: str, name: str, weights: dict[str, Any], actor: Actor,
             options: dict[str, Any]) -> EditResult:
        try:
            base = options.get("resource_version") or (
                live_object(cluster, kind_info(DEFAULT_WEIGHTED_KIND), namespace, name)["metadata"]["resourceVersion"]
            )
            return set_split_weights(actor, cluster, namespace, name, weights, base_resource_version=base,
                                     preview=options["preview"], force=options["force"])
        except ChangeError as error:
            lines = [f"  {e['path'] or '<object>'}: {e['message']} [{e['code']}]" for e in error.errors]
            raise CommandError(f"{type(error).__name__} ({error.status}):\n" + "\n".join(lines)) from None

    @staticmethod
    def _split_address(address: str) -> tuple[Cluster, str, str]:
        parts = address.split("/")
        if len(parts) != 3 or not all(parts):
            raise CommandError(f"expected CLUSTER/NAMESPACE/NAME, got {address!r}")
        cluster = Cluster.objects.filter(name=parts[0]).first()
        if cluster is None:
            raise CommandError(f"no cluster named {parts[0]!r}")
        return cluster, parts[1], parts[2]

    @staticmethod
    def _weight(item: str) -> tuple[str, int | str]:
        service, separator, value = item.partition("=")
        if not separator or not service or not value:
            raise CommandError(f"expected backend=weight, got {item!r}")
        return service, int(value) if value.isdigit() else value

    @staticmethod
    def _actor(username: str | None) -> Actor:
        if not username:
            return Actor.command_line(f"cli:{getpass.getuser()}")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        return Actor.command_line(username, user)
