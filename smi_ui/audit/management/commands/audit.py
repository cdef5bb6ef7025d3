"""`manage.py audit verify` checks the hash chain; `manage.py audit export` writes CSV or JSON Lines."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smi_ui.audit.chain import verify
from smi_ui.audit.exports import csv_lines, jsonl_lines
from smi_ui.audit.filtersets import AuditEntryFilterSet
from smi_ui.audit.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, or export entries."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("verify", help="recompute every link; fails naming the first broken entry")
        export = commands.add_parser("export", help="write entries to stdout, oldest first")
        export.add_argument("--format", choices=["csv", "jsonl"], default="jsonl")
        for name in AuditEntryFilterSet.base_filters:
            export.add_argument(f"--{name.replace('_', '-')}", dest=f"filter_{name}",
                                help="ISO 8601 timestamp" if name in ("since", "until") else None)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "verify":
            self._verify()
        else:
            self._export(options)

    def _verify(self) -> None:
        report = verify()
        if not report.ok:
            raise CommandError(f"audit chain broken at {report.broken} ({report.checked} entries verified before it; "
                               f"{report.describe_keys()})")
        self.stdout.write(f"audit chain intact: {report.checked} entries verified ({report.describe_keys()})")

    def _export(self, options: dict[str, Any]) -> None:
        params = {name: options[f"filter_{name}"] for name in AuditEntryFilterSet.base_filters
                  if options.get(f"filter_{name}") is not None}
        filterset = AuditEntryFilterSet(params, queryset=AuditEntry.objects.all())
        if not filterset.is_valid():
            raise CommandError(f"invalid filters: {dict(filterset.errors)}")
        entries = filterset.qs.order_by("sequence").iterator(chunk_size=500)
        lines = csv_lines(entries) if options["format"] == "csv" else jsonl_lines(entries)
        for line in lines:
            self.stdout.write(line, ending="")
