"""Exactly once: sweeps racing in threads, each on its own connection, and a sweep that dies."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.db import connections
from django.utils import timezone

from servicedesk.core import sla
from servicedesk.core.choices import AuditAction, EscalationAction, SLAState, SLATarget
from servicedesk.core.models import AuditEvent, Ticket
from tests.factories import make_agent, make_calendar, make_incident, make_sla_policy

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY_10 = datetime(2026, 6, 1, 10, tzinfo=UTC)
MONDAY_11 = datetime(2026, 6, 1, 11, tzinfo=UTC)


def in_threads(*work: Callable[[], int]) -> list[int]:
    """Run each callable in a thread of its own (its own connection), all released at once."""
    start = threading.Barrier(len(work))
    results: list[int | None] = [None] * len(work)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], int]) -> None:
        try:
            start.wait(timeout=30)
            results[index] = job()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results  # type: ignore[return-value]


@pytest.fixture
def escalating(monkeypatch, team):
    """Office hours; at 75 % of the response time notify the assignee, at its breach the lead."""
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_10)
    make_agent(team, lead=True, username="lena")
    return make_sla_policy(
        calendar=make_calendar(),
        rules=[
            (SLATarget.RESPONSE, 75, EscalationAction.NOTIFY_ASSIGNEE),
            (SLATarget.RESPONSE, 100, EscalationAction.NOTIFY_TEAM_LEAD),
        ],
    )


def fired_per_ticket(action: str) -> Counter:
    return Counter(AuditEvent.objects.filter(action=action).values_list("ticket_id", flat=True))


def test_two_sweeps_at_once_fire_each_level_once(escalating, team, agent):
    tickets = [make_incident(assignment_group=team, assignee=agent) for _ in range(12)]

    results = in_threads(lambda: sla.sla_sweep(now=MONDAY_11), lambda: sla.sla_sweep(now=MONDAY_11))

    # 75 %, 90 % and the breach of the response time, for every ticket, once.
    assert sum(results) == 12 * 3
    ids = [t.pk for t in tickets]
    assert fired_per_ticket(AuditAction.SLA) == Counter(dict.fromkeys(ids, 3))
    assert fired_per_ticket(AuditAction.ESCALATED) == Counter(dict.fromkeys(ids, 2))
    assert set(
        Ticket.objects.values_list("sla_state", "sla_response_warning_level", "sla_next_check_at")
    ) == {(SLAState.BREACHED, 100, datetime(2026, 6, 1, 16, tzinfo=UTC))}
    assert in_threads(lambda: sla.sla_sweep(now=MONDAY_11)) == [0]


def test_two_checks_that_read_the_ticket_together_claim_each_level_once(
    escalating, monkeypatch, team, agent
):
    """Both read the ticket and decide what is due before either claims: one claim wins."""
    incident = make_incident(assignment_group=team, assignee=agent)
    seen = Ticket.objects.get(pk=incident.pk).sla_next_check_at
    read_together = threading.Barrier(2)
    waited = threading.local()
    checkpoints = sla.checkpoints

    def after_both_read(*args, **kwargs):
        points = checkpoints(*args, **kwargs)
        if not getattr(waited, "done", False):
            waited.done = True
            read_together.wait(timeout=30)
        return points

    monkeypatch.setattr(sla, "checkpoints", after_both_read)

    def check() -> int:
        return sla.sla_check(ticket_id=incident.pk, expected_check_at=seen, now=MONDAY_11)

    assert sorted(in_threads(check, check)) == [0, 3]
    assert fired_per_ticket(AuditAction.SLA) == Counter({incident.pk: 3})
    assert fired_per_ticket(AuditAction.ESCALATED) == Counter({incident.pk: 2})


def test_a_sweep_that_dies_halfway_leaves_nothing_and_the_next_one_fires_once(
    escalating, monkeypatch, team, agent
):
    incident = make_incident(assignment_group=team, assignee=agent)
    escalate = sla.escalate

    def die(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(sla, "escalate", die)
    with pytest.raises(SystemExit):
        sla.sla_sweep(now=MONDAY_11)
    ticket = Ticket.objects.get(pk=incident.pk)
    assert (ticket.sla_response_warning_level, ticket.sla_state) == (0, SLAState.IN_PROGRESS)
    assert (
        AuditEvent.objects.filter(action__in=[AuditAction.SLA, AuditAction.ESCALATED]).count() == 0
    )

    monkeypatch.setattr(sla, "escalate", escalate)
    assert sla.sla_sweep(now=MONDAY_11) == 3
    assert sla.sla_sweep(now=MONDAY_11) == 0
    assert fired_per_ticket(AuditAction.ESCALATED) == Counter({incident.pk: 2})
