"""Who may see and do what. The one place that scopes tickets per user, for UI and API alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet

from .models import Comment, Membership, Ticket, Watcher

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

    AnyUser = User | AnonymousUser

TicketT = TypeVar("TicketT", bound=Ticket)


def is_agent(user: Any) -> bool:
    """Agents work tickets; everyone else signed in is an end user."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("core.work_ticket"))


def sees_all_tickets(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm("core.view_all_tickets"))


def is_service_desk_admin(user: Any) -> bool:
    """Admins manage people, teams and reference data."""
    return bool(user.is_authenticated and user.is_active and user.has_perm("core.change_user"))


def team_ids(user: Any) -> set[int]:
    """The ids of the teams the user belongs to, cached on the user object for the request."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_team_ids_cache"):
        user._team_ids_cache = set(
            Membership.objects.filter(user=user, team__is_active=True).values_list(
                "team_id", flat=True
            )
        )
    return user._team_ids_cache


def visible_tickets(user: Any, queryset: QuerySet[TicketT] | None = None) -> QuerySet[TicketT]:
    """The tickets ``user`` may see, as a filter on ``queryset`` (any practice's queryset).

    End users: tickets they requested or watch. Agents: also tickets of their teams,
    unrouted tickets (no team yet) and tickets assigned to them. Admins: everything.
    """
    qs = queryset if queryset is not None else Ticket.objects.all()
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    if sees_all_tickets(user):
        return qs
    # Unordered: the models' default orderings would join teams and users only to sort.
    teams = Membership.objects.filter(user_id=user.pk).order_by().values("team_id")
    if connection.vendor == "postgresql":
        # ``column = ANY(ARRAY(subquery))``: each subquery runs once and every arm is an
        # index condition on core_ticket, so PostgreSQL ORs bitmaps of the few matching
        # rows instead of testing every ticket of the table (what EXISTS and IN arms make
        # it do). Watched tickets go by their (unique, indexed) number: a practice's
        # queryset would turn ``id`` into its own table's key, out of the bitmap's table.
        watched = Watcher.objects.filter(user_id=user.pk).order_by().values("ticket__number")
        scope = Q(requester_id=user.pk) | Q(InArray(F("number"), ArraySubquery(watched)))
        mine = Q(InArray(F("assignment_group_id"), ArraySubquery(teams)))
    else:
        scope = Q(requester_id=user.pk) | Q(
            Exists(Watcher.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk))
        )
        mine = Q(assignment_group_id__in=teams)
    if is_agent(user):
        scope |= Q(assignee_id=user.pk) | Q(assignment_group__isnull=True) | mine
    return qs.filter(scope)


class InArray(Func):
    """``<column> = ANY(<array>)`` (PostgreSQL): an index condition, unlike ``IN (subquery)``."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def can_view_ticket(user: Any, ticket: Ticket) -> bool:
    return visible_tickets(user).filter(pk=ticket.pk).exists()


def can_work_ticket(user: Any, ticket: Ticket) -> bool:
    """Agents work the tickets of their teams, unrouted ones and their own assignments."""
    if not is_agent(user):
        return False
    if sees_all_tickets(user):
        return True
    return (
        ticket.assignee_id == user.pk
        or ticket.assignment_group_id is None
        or ticket.assignment_group_id in team_ids(user)
    )


def visible_comments(user: Any, queryset: QuerySet[Comment] | None = None) -> QuerySet[Comment]:
    """Comments the user may read on tickets they can see: never internal notes for end users."""
    qs = queryset if queryset is not None else Comment.objects.all()
    if not is_agent(user):
        qs = qs.filter(internal=False)
    return qs
