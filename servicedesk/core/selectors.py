"""Reads of the ticket core for the agent dashboard and the portal, already scoped to the user.

Every selector starts from ``permissions.visible_tickets`` and reads only the
``Ticket`` table (plus the users and teams it joins), never a practice's child
row: one query per list whatever the practices in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from changes.choices import ChangeStatus
from incidents.choices import IncidentStatus
from problems.choices import ProblemStatus
from service_requests.choices import ServiceRequestStatus

from . import permissions
from .choices import Practice, SLAState
from .models import Membership, Ticket, Watcher

# The states each practice's status holds, so a label can be found from
# (practice, status) without loading the child row.
STATUS_CHOICES: dict[str, type[models.TextChoices]] = {
    Practice.INCIDENT: IncidentStatus,
    Practice.PROBLEM: ProblemStatus,
    Practice.CHANGE: ChangeStatus,
    Practice.REQUEST: ServiceRequestStatus,
}

# The states in which a ticket no longer needs work: everything else is "open".
# A resolved incident may still be reopened by its requester, but nobody works it.
TERMINAL_STATUSES: dict[str, frozenset[str]] = {
    Practice.INCIDENT: frozenset(
        {IncidentStatus.RESOLVED, IncidentStatus.CLOSED, IncidentStatus.CANCELLED}
    ),
    Practice.PROBLEM: frozenset(
        {ProblemStatus.RESOLVED, ProblemStatus.CLOSED, ProblemStatus.CANCELLED}
    ),
    Practice.CHANGE: frozenset(
        {ChangeStatus.CLOSED, ChangeStatus.REJECTED, ChangeStatus.CANCELLED}
    ),
    Practice.REQUEST: frozenset(
        {
            ServiceRequestStatus.FULFILLED,
            ServiceRequestStatus.CLOSED,
            ServiceRequestStatus.REJECTED,
            ServiceRequestStatus.CANCELLED,
        }
    ),
}

# The number of rows a dashboard or portal list shows; more are a search away.
LIST_LIMIT = 25
# Long text that no list shows.
LIST_DEFERRED_FIELDS = ("description", "priority_override_reason")


def status_label(practice: str, status: str) -> str:
    """The human label of ``status`` in ``practice``'s lifecycle; the raw value if unknown."""
    choices = STATUS_CHOICES.get(practice)
    if choices is not None:
        try:
            return str(choices(status).label)
        except ValueError:
            pass
    return status


def is_terminal(practice: str, status: str) -> bool:
    return status in TERMINAL_STATUSES.get(practice, frozenset())


def terminal_q() -> Q:
    """Matches tickets in a terminal state of their own practice."""
    return reduce(
        or_,
        (
            Q(practice=practice, status__in=sorted(statuses))
            for practice, statuses in TERMINAL_STATUSES.items()
        ),
    )


def open_tickets(user: Any) -> QuerySet[Ticket]:
    """The open tickets ``user`` may see, with what a list row shows joined in."""
    return (
        permissions.visible_tickets(user)
        .exclude(terminal_q())
        .select_related("requester", "assignee", "assignment_group")
        .defer(*LIST_DEFERRED_FIELDS)
    )


def my_work(user: Any) -> QuerySet[Ticket]:
    """Open tickets assigned to ``user``, every practice, most urgent first."""
    return open_tickets(user).filter(assignee_id=user.pk).order_by("priority", "-updated_at", "-pk")


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


# The order the dashboard tells SLA states in: what needs help first.
SLA_STATE_ORDER = [
    SLAState.BREACHED,
    SLAState.AT_RISK,
    SLAState.IN_PROGRESS,
    SLAState.PAUSED,
    SLAState.MET,
]


def my_work_by_sla_state(user: Any) -> list[StateCount]:
    """How many of the user's open tickets are in each SLA state: one aggregate query."""
    counts = dict(
        my_work(user)
        .order_by()
        .values("sla_state")
        .annotate(n=Count("pk"))
        .values_list("sla_state", "n")
    )
    labels = dict(SLAState.choices)
    return [StateCount(s, str(labels[s]), counts[s]) for s in SLA_STATE_ORDER if s in counts]


def team_queue(user: Any) -> QuerySet[Ticket]:
    """Open tickets of the user's (active) teams that nobody has taken yet."""
    my_teams = Membership.objects.filter(user_id=user.pk, team__is_active=True).values("team_id")
    return (
        open_tickets(user)
        .filter(assignment_group_id__in=my_teams, assignee__isnull=True)
        .order_by("priority", "created_at", "pk")
    )


def unrouted(user: Any) -> QuerySet[Ticket]:
    """Open tickets that no team owns yet, oldest first: someone has to route them."""
    return (
        open_tickets(user)
        .filter(assignment_group__isnull=True)
        .order_by("priority", "created_at", "pk")
    )


def portal_tickets(user: Any) -> QuerySet[Ticket]:
    """The tickets ``user`` requested or watches, newest first (also for agents on the portal)."""
    watching = Exists(Watcher.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk))
    return (
        permissions.visible_tickets(user)
        .filter(Q(requester_id=user.pk) | Q(watching))
        .defer(*LIST_DEFERRED_FIELDS)
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class Rows:
    """The first rows of a list, and whether more exist beyond them."""

    tickets: list[Ticket]
    has_more: bool
    limit: int


def first_rows(queryset: QuerySet[Ticket], limit: int = LIST_LIMIT) -> Rows:
    """Evaluate at most ``limit`` rows in one query, fetching one more to know if there are more."""
    tickets = list(queryset[: limit + 1])
    return Rows(tickets=tickets[:limit], has_more=len(tickets) > limit, limit=limit)


# How far ahead the dashboard looks for resolution targets about to fall due.
SLA_AT_RISK_HOURS = 4


def sla_at_risk(user: Any, hours: int = SLA_AT_RISK_HOURS) -> QuerySet[Ticket]:
    """Open tickets whose resolution target falls due within ``hours``, soonest first.

    Already met or breached targets are past helping and a paused clock does not run:
    both are left out. Served by the (sla_state, resolution_due_at) index.
    """
    now = timezone.now()
    return (
        open_tickets(user)
        .filter(resolution_due_at__gte=now, resolution_due_at__lt=now + timedelta(hours=hours))
        .exclude(sla_state__in=[SLAState.MET, SLAState.BREACHED, SLAState.PAUSED])
        .order_by("resolution_due_at", "pk")
    )
