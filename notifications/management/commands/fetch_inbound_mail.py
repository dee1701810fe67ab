"""``manage.py fetch_inbound_mail``: read the inbound mailbox once (beat does it every minute)."""

from __future__ import annotations

import imaplib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.inbound import fetch_mailbox


class Command(BaseCommand):
    help = "Turn new mail in INBOUND_MAIL_URL (or --url) into incidents and replies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", help="maildir:///path or imaps://user:password@host/INBOX (default: setting)"
        )
        parser.add_argument("--limit", type=int, help="Handle at most this many messages.")

    def handle(self, *args: Any, url: str | None = None, limit: int | None = None, **options: Any):
        from django.conf import settings

        if not (url or settings.INBOUND_MAIL_URL):
            raise CommandError("Set INBOUND_MAIL_URL or pass --url.")
        try:
            counts = fetch_mailbox(url=url, limit=limit)
        except (OSError, ValueError, imaplib.IMAP4.error) as exc:
            raise CommandError(str(exc)) from exc
        summary = (
            ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no new mail"
        )
        self.stdout.write(summary)
