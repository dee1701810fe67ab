"""Reads of the change practice, already scoped to the user: lists, the CAB queue, the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from servicedesk.core.choices import TeamKind
from servicedesk.core.models import AuditEvent, Membership

from . import permissions
from .choices import CABDecision, ChangeStatus, ChangeType
from .filters import ChangeFilter
from .models import CABVote, Change, FreezePeriod

# What the calendar shows: changes that hold (or held) their window.
CALENDAR_STATUSES = (
    ChangeStatus.SCHEDULED,
    ChangeStatus.IMPLEMENTING,
    ChangeStatus.REVIEW,
    ChangeStatus.CLOSED,
)
# The ``queue`` of the change list's query that means the CAB queue.
CAB_QUEUE = "cab"
LIST_DEFERRED_FIELDS = (
    "description",
    "priority_override_reason",
    "implementation_plan",
    "backout_plan",
    "test_plan",
    "review_notes",
    "risk_reason",
    "overlap_override_reason",
)


def change_list(user: Any) -> QuerySet[Change]:
    """The changes ``user`` may see, with what a list row shows joined in."""
    return (
        permissions.visible_changes(user)
        .select_related("assignment_group", "assignee")
        .defer(*LIST_DEFERRED_FIELDS)
        .order_by("-created_at", "-pk")
    )


def change_filterset(user: Any, params: Any, request: Any = None) -> ChangeFilter:
    """The change list's FilterSet on ``params``: the list page and its CSV export use it.

    ``queue=cab`` starts from the CAB queue (changes awaiting one of the user's boards)
    instead of every change the user may see. The search keeps to the scoped rows and
    public comments, as the board sees changes beyond the ticket core's scope.
    """
    if params and params.get("queue") == CAB_QUEUE:
        rows = permissions.visible_changes(user, awaiting_decision(user))
    else:
        rows = change_list(user)
    return ChangeFilter(params, queryset=rows)


def change_detail(user: Any) -> QuerySet[Change]:
    """The changes ``user`` may open, with what the change page shows."""
    return (
        permissions.visible_changes(user)
        .select_related(
            "requester",
            "assignment_group",
            "assignee",
            "service",
            "template",
            "overlap_overridden_by",
        )
        .prefetch_related("services", "configuration_items")
    )


def timeline(change: Change, user: Any) -> QuerySet[AuditEvent]:
    """The change's history, internal events (CAB deliberation) for agents and the board only."""
    events = AuditEvent.objects.filter(ticket_id=change.pk).select_related("actor")
    if not (permissions.core.is_agent(user) or permissions.sees_all_changes(user)):
        events = events.filter(internal=False)
    return events.order_by("created_at", "pk")


def votes(change: Change) -> QuerySet[CABVote]:
    return CABVote.objects.filter(change=change).select_related("voter").order_by("created_at")


def _board_types(user: Any) -> list[str]:
    """The types of change whose board ``user`` sits on."""
    if permissions.is_change_manager(user):
        return [ChangeType.NORMAL, ChangeType.EMERGENCY]
    kinds = set(
        Membership.objects.filter(
            user_id=user.pk,
            team__is_active=True,
            team__kind__in=[TeamKind.CAB, TeamKind.EMERGENCY_CAB],
        ).values_list("team__kind", flat=True)
    )
    types = []
    if TeamKind.CAB in kinds:
        types.append(ChangeType.NORMAL)
    if TeamKind.EMERGENCY_CAB in kinds:
        types.append(ChangeType.EMERGENCY)
    return types


def awaiting_decision(user: Any) -> QuerySet[Change]:
    """Changes before one of ``user``'s boards that the board has not decided yet."""
    types = _board_types(user)
    return (
        Change.objects.filter(
            status=ChangeStatus.AUTHORIZATION,
            cab_decision=CABDecision.PENDING,
            change_type__in=types,
        )
        .exclude(Q(requester_id=user.pk) | Q(assignee_id=user.pk))
        .annotate(voted=Exists(CABVote.objects.filter(change_id=OuterRef("pk"), voter_id=user.pk)))
        .select_related("requester", "assignment_group")
        .defer(*LIST_DEFERRED_FIELDS)
        .order_by("planned_start", "pk")
    )


@dataclass
class Day:
    """One day of the calendar and what happens on it."""

    date: date
    in_month: bool
    changes: list[Change] = field(default_factory=list)
    freezes: list[FreezePeriod] = field(default_factory=list)


def calendar_range(view: str, anchor: date) -> tuple[date, date]:
    """The first and last day a month (whole weeks) or week view shows."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=6)
    month_start = anchor.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    first = month_start - timedelta(days=month_start.weekday())
    last_of_month = next_month - timedelta(days=1)
    return first, last_of_month + timedelta(days=6 - last_of_month.weekday())


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def calendar_changes(user: Any, start: datetime, end: datetime) -> QuerySet[Change]:
    """Changes on the calendar whose window overlaps [start, end), for ``user``."""
    return (
        permissions.visible_changes(user)
        .filter(status__in=CALENDAR_STATUSES, planned_start__lt=end, planned_end__gt=start)
        .defer(*LIST_DEFERRED_FIELDS)
        .order_by("planned_start", "pk")
    )


def calendar_freezes(start: datetime, end: datetime) -> list[FreezePeriod]:
    return list(FreezePeriod.objects.filter(start__lt=end, end__gt=start).order_by("start", "pk"))


def calendar_days(
    first: date, last: date, month: int | None, changes: list[Change], freezes: list[FreezePeriod]
) -> list[Day]:
    """Each day from ``first`` to ``last`` with the changes and freezes overlapping it."""
    days = []
    day = first
    while day <= last:
        start, end = day_start(day), day_start(day + timedelta(days=1))
        days.append(
            Day(
                date=day,
                in_month=month is None or day.month == month,
                changes=[c for c in changes if c.planned_start < end and c.planned_end > start],
                freezes=[f for f in freezes if f.start < end and f.end > start],
            )
        )
        day += timedelta(days=1)
    return days
