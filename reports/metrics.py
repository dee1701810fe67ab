"""The managers' report figures, each one or two aggregate queries in the database.

Every figure starts from ``permissions.visible_tickets`` (or a practice's queryset
scoped through it) restricted to a ``Period`` and optionally a team; nothing here
loads ticket rows into Python, only grouped results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from changes.choices import ChangeOutcome, ChangeType
from changes.models import Change
from incidents.models import Incident
from problems.models import Problem
from service_requests.models import ServiceRequest
from servicedesk.core import permissions
from servicedesk.core.models import Team, Ticket

# The most rows a "top" table shows.
TOP = 10


@dataclass(frozen=True)
class Period:
    """Tickets created from ``start`` to ``end`` (whole days in the user's time zone), one team."""

    start: date
    end: date
    team: Team | None = None

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


def _scoped(user: Any, period: Period, queryset: QuerySet | None = None) -> QuerySet:
    qs = permissions.visible_tickets(user, queryset)
    if period.team is not None:
        qs = qs.filter(assignment_group=period.team)
    return qs


def created_in(user: Any, period: Period, queryset: QuerySet | None = None) -> QuerySet:
    return _scoped(user, period, queryset).filter(
        created_at__gte=period.since, created_at__lt=period.until
    )


def _duration(end: str, start: str = "created_at") -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def sla_counts() -> dict[str, Count]:
    """Met and breached response and resolution targets, as annotations."""
    now = timezone.now()
    return {
        "response_met": Count(
            "pk", filter=Q(responded_at__isnull=False, responded_at__lte=F("response_due_at"))
        ),
        "response_breached": Count(
            "pk",
            filter=Q(responded_at__gt=F("response_due_at"))
            | Q(responded_at__isnull=True, response_due_at__lt=now),
        ),
        "resolution_met": Count(
            "pk", filter=Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due_at"))
        ),
        "resolution_breached": Count(
            "pk",
            filter=Q(resolved_at__gt=F("resolution_due_at"))
            | Q(resolved_at__isnull=True, resolution_due_at__lt=now),
        ),
    }


SLA_GROUPS = {
    "practice": "practice",
    "priority": "priority",
    "team": "assignment_group__name",
}


def sla_compliance(user: Any, period: Period, by: str) -> list[dict[str, Any]]:
    """SLA met vs breached per practice, priority or team: one query."""
    field = SLA_GROUPS[by]
    rows = (
        created_in(user, period)
        .order_by()
        .values(field)
        .annotate(**sla_counts())
        .order_by(F(field).asc(nulls_last=True))
    )
    return [{"key": row.pop(field), **row} for row in rows]


def mean_times(user: Any, period: Period) -> list[dict[str, Any]]:
    """Mean time to acknowledge (created → first response) and to resolve, per practice."""
    rows = (
        created_in(user, period)
        .order_by()
        .values("practice")
        .annotate(
            tickets=Count("pk"),
            mtta=Avg(_duration("responded_at"), filter=Q(responded_at__isnull=False)),
            mttr=Avg(_duration("resolved_at"), filter=Q(resolved_at__isnull=False)),
        )
        .order_by("practice")
    )
    return list(rows)


def backlog(user: Any, period: Period) -> list[dict[str, Any]]:
    """Tickets opened and closed (resolved or closed) per day: two grouped queries."""
    tz = timezone.get_current_timezone()
    opened = dict(
        created_in(user, period)
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    closed_on = TruncDate("closed_at", tzinfo=tz)
    closed = dict(
        _scoped(user, period)
        .filter(closed_at__gte=period.since, closed_at__lt=period.until)
        .order_by()
        .annotate(day=closed_on)
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    days = (period.end - period.start).days + 1
    rows = []
    for offset in range(days):
        day = period.start + timedelta(days=offset)
        rows.append({"day": day, "opened": opened.get(day, 0), "closed": closed.get(day, 0)})
    return rows


def incidents_per_service(user: Any, period: Period) -> list[dict[str, Any]]:
    rows = (
        created_in(user, period, Incident.objects.all())
        .filter(service__isnull=False)
        .order_by()
        .values("service__name")
        .annotate(incidents=Count("pk"))
        .order_by("-incidents", "service__name")[:TOP]
    )
    return [{"key": row["service__name"], "incidents": row["incidents"]} for row in rows]


def incidents_per_ci(user: Any, period: Period) -> list[dict[str, Any]]:
    rows = (
        created_in(user, period, Incident.objects.all())
        .filter(configuration_items__isnull=False)
        .order_by()
        .values("configuration_items__name")
        .annotate(incidents=Count("pk"))
        .order_by("-incidents", "configuration_items__name")[:TOP]
    )
    return [
        {"key": row["configuration_items__name"], "incidents": row["incidents"]} for row in rows
    ]


def problems_by_linked_incidents(user: Any, period: Period) -> list[dict[str, Any]]:
    """Problems (created in the period) with the most linked incidents."""
    rows = (
        created_in(user, period, Problem.objects.all())
        .order_by()
        .annotate(linked=Count("incidents"))
        .filter(linked__gt=0)
        .values("number", "title", "linked")
        .order_by("-linked", "number")[:TOP]
    )
    return [{"number": r["number"], "title": r["title"], "incidents": r["linked"]} for r in rows]


def change_outcomes(user: Any, period: Period) -> dict[str, Any]:
    """Changes created in the period: outcomes, success rate and emergency share (one query)."""
    figures = created_in(user, period, Change.objects.all()).aggregate(
        total=Count("pk"),
        emergency=Count("pk", filter=Q(change_type=ChangeType.EMERGENCY)),
        completed=Count("pk", filter=~Q(outcome="")),
        successful=Count("pk", filter=Q(outcome=ChangeOutcome.SUCCESSFUL)),
        failed=Count("pk", filter=Q(outcome=ChangeOutcome.FAILED)),
        backed_out=Count("pk", filter=Q(outcome=ChangeOutcome.BACKED_OUT)),
    )
    figures["success_rate"] = _share(figures["successful"], figures["completed"])
    figures["emergency_share"] = _share(figures["emergency"], figures["total"])
    return figures


def fulfilment_times(user: Any, period: Period) -> list[dict[str, Any]]:
    """Mean created → fulfilled time of requests per catalog item."""
    rows = (
        created_in(user, period, ServiceRequest.objects.all())
        .filter(resolved_at__isnull=False)
        .order_by()
        .values("catalog_item__name")
        .annotate(requests=Count("pk"), mean=Avg(_duration("resolved_at")))
        .order_by("catalog_item__name")
    )
    return [
        {"key": row["catalog_item__name"], "requests": row["requests"], "mean": row["mean"]}
        for row in rows
    ]


# The current score of a ticket's rating (one rating per ticket: the latest wins).
SCORE = "satisfaction_rating__score"
SCORES = range(1, 6)
# Scores that count as satisfied.
SATISFIED_FROM = 4


def rated_in(user: Any, period: Period) -> QuerySet[Ticket]:
    """Tickets in the user's scope (and team) whose current rating was given in the period.

    A rating belongs to the day it was given (or last changed), not to the day its ticket
    was created: a survey answered this week counts this week.
    """
    return _scoped(user, period).filter(
        satisfaction_rating__updated_at__gte=period.since,
        satisfaction_rating__updated_at__lt=period.until,
    )


def satisfaction_summary(user: Any, period: Period) -> dict[str, Any]:
    """How many ratings, their mean score and the share of satisfied ones: one query."""
    figures = rated_in(user, period).aggregate(
        ratings=Count("pk"),
        average=Avg(SCORE),
        satisfied=Count("pk", filter=Q(**{f"{SCORE}__gte": SATISFIED_FROM})),
    )
    figures["satisfied_share"] = _share(figures["satisfied"], figures["ratings"])
    return figures


def satisfaction_distribution(user: Any, period: Period) -> list[dict[str, Any]]:
    """Ratings per score, every score from 1 to 5 (zero where none): one grouped query."""
    counts = dict(
        rated_in(user, period)
        .order_by()
        .values_list(SCORE)
        .annotate(n=Count("pk"))
        .values_list(SCORE, "n")
    )
    total = sum(counts.values())
    return [
        {
            "score": score,
            "ratings": counts.get(score, 0),
            "share": _share(counts.get(score, 0), total),
        }
        for score in SCORES
    ]


SATISFACTION_GROUPS = {
    "practice": "practice",
    "team": "assignment_group__name",
    "service": "service__name",
}


def satisfaction_by(user: Any, period: Period, by: str) -> list[dict[str, Any]]:
    """Ratings and mean score per practice, team or service (the most rated ones): one query."""
    field = SATISFACTION_GROUPS[by]
    rows = (
        rated_in(user, period)
        .order_by()
        .values(field)
        .annotate(ratings=Count("pk"), average=Avg(SCORE))
        .order_by("-ratings", F(field).asc(nulls_last=True))[:TOP]
    )
    return [
        {"key": row[field], "ratings": row["ratings"], "average": row["average"]} for row in rows
    ]


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None
