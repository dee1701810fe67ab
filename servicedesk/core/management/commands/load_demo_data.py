"""``manage.py load_demo_data``: a small demo organisation with tickets of every practice."""

from typing import Any

from django.core.management.base import BaseCommand

from servicedesk.core.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo_data
from servicedesk.core.models import Ticket


class Command(BaseCommand):
    """Load the demo data; safe to run again, it changes nothing the second time."""

    help = "Load demo people, teams, services, CIs, calendars and tickets (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        before = Ticket.objects.count()
        load_demo_data()
        created = Ticket.objects.count() - before
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded ({created} new tickets).")
            + f"\nSign in with any of these users and the password “{DEMO_PASSWORD}”:"
        )
        width = max(map(len, DEMO_LOGINS))
        for username, description in DEMO_LOGINS.items():
            self.stdout.write(f"  {username:<{width}}  {description}")
