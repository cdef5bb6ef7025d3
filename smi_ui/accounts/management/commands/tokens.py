"""`manage.py tokens create USER --name NAME` (prints the token once), `tokens list`, `tokens revoke ID`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from smi_ui.accounts.models import ApiToken
from smi_ui.accounts.tokens import TokenRuleError, issue_token, revoke_token_audited


class Command(BaseCommand):
    help = "Issue, list and revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="issue a token; it is printed once and never stored")
        create.add_argument("username")
        create.add_argument("--name", default="automation")
        create.add_argument("--may-issue-tokens", action="store_true",
                            help="let automation holding this token issue tokens (which themselves may not)")
        listing = commands.add_parser("list", help="tokens (never their values)")
        listing.add_argument("--user")
        revoke = commands.add_parser("revoke", help="revoke a token by id")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "create":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no user {options['username']!r}")
            try:
                _, token = issue_token(user, options["name"], may_issue_tokens=options["may_issue_tokens"])
            except TokenRuleError as error:
                raise CommandError(f"{error.field}: {error.message}") from None
            self.stdout.write(token)
        elif options["command"] == "list":
            tokens = ApiToken.objects.select_related("user")
            if options.get("user"):
                tokens = tokens.filter(user__username=options["user"])
            for record in tokens:
                state = "revoked" if record.revoked_at else "active"
                self.stdout.write(f"{record.pk}\t{record.user}\t{record.name}\t{record.prefix}…\t{state}")
        else:
            record = ApiToken.objects.filter(pk=options["token_id"]).first()
            if record is None:
                raise CommandError(f"no token with id {options['token_id']}")
            revoke_token_audited(record)
            self.stdout.write(f"revoked token {record.pk} ({record.name})")
