"""``manage.py check_health``: the /healthz checks from a shell (container health checks)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from servicedesk.core.health import run_checks


class Command(BaseCommand):
    help = "Check that the database and the broker answer; exit 1 if either does not."

    def handle(self, *args: Any, **options: Any) -> None:
        health = run_checks()
        for name, result in health.checks.items():
            self.stdout.write(f"{name}: {result}")
        if not health.ok:
            raise CommandError("unhealthy")
