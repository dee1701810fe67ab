"""End to end: a real Celery beat and worker, on the configured broker, escalate a ticket."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from servicedesk.core.choices import AuditAction, EscalationAction, SLAState, SLATarget
from servicedesk.core.management.commands.runstack import start_celery, stop_children
from servicedesk.core.models import AuditEvent, Ticket
from tests.factories import make_calendar, make_incident, make_sla_policy

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    """The URL of the test database this process uses, for the worker to use too."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def celery_environment(var_dir: Path) -> dict[str, str]:
    """Worker and beat on this test's database and queue, sweeping every second."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings.test",
        "DATABASE_URL": database_url(),
        # The same suffix gives the same queue name as this process (see settings.test).
        "TEST_DB_SUFFIX": settings.CELERY_TASK_DEFAULT_QUEUE.removeprefix("test-"),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SLA_SWEEP_INTERVAL_SECONDS": "1",
        "SERVICEDESK_VAR_DIR": str(var_dir),
        "PYTHONPATH": str(settings.BASE_DIR),
        "PYTHONUNBUFFERED": "1",
    }


def escalations(ticket: Ticket) -> list[str]:
    return list(
        AuditEvent.objects.filter(ticket_id=ticket.pk, action=AuditAction.ESCALATED)
        .order_by("pk")
        .values_list("note", flat=True)
    )


def test_beat_and_a_worker_escalate_a_breached_ticket_once(monkeypatch, tmp_path, team, agent):
    round_the_clock = make_calendar(
        "24x7", hours=[(day, clock_time(0), clock_time(0)) for day in range(7)]
    )
    make_sla_policy(
        calendar=round_the_clock,
        response_minutes=1,
        rules=[(SLATarget.RESPONSE, 100, EscalationAction.NOTIFY_ASSIGNEE)],
    )
    ten_minutes_ago = timezone.now() - timedelta(minutes=10)
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: ten_minutes_ago)
        incident = make_incident(assignment_group=team, assignee=agent)
    assert Ticket.objects.get(pk=incident.pk).sla_next_check_at < datetime.now(UTC)

    children = start_celery(tmp_path / "var", env=celery_environment(tmp_path / "var"))
    try:
        deadline = time.monotonic() + 90
        while not escalations(incident) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # a few more sweeps: none may fire it again
        assert [c.process.poll() for c in children] == [None, None]
    finally:
        stop_children(children, timeout=30)

    logs = "".join(
        (tmp_path / "var" / "log" / name).read_text(errors="replace")
        for name in ("worker.log", "beat.log")
    )
    assert escalations(incident) == ["Response target breached. Notify the assignee."], logs
    ticket = Ticket.objects.get(pk=incident.pk)
    assert (ticket.sla_state, ticket.sla_response_warning_level) == (SLAState.BREACHED, 100)
    assert "servicedesk.core.tasks.sla_sweep" in logs
