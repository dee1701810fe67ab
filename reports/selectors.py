"""Reads for search results, exports and reports; every one starts from the user's scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django_filters import FilterSet

from changes.selectors import change_filterset
from incidents.selectors import incident_filterset
from problems.selectors import problem_filterset
from service_requests.selectors import request_filterset
from servicedesk.core import permissions, search
from servicedesk.core.choices import Practice
from servicedesk.core.filters import AnyTicketFilter
from servicedesk.core.models import Ticket
from servicedesk.core.selectors import LIST_DEFERRED_FIELDS

from . import exports

# The most results the search page shows; the API pages through all of them.
SEARCH_LIMIT = 100


@dataclass
class PracticeResults:
    """The best results of one practice, and how many matched in all."""

    practice: str
    label: str
    total: int
    tickets: list[Ticket] = field(default_factory=list)


def search_results(user: Any, query: str, limit: int = SEARCH_LIMIT) -> list[PracticeResults]:
    """The best ``limit`` matches grouped by practice, with highlights: two queries."""
    matches = search.search_tickets(user, query)
    counts = dict(
        matches.order_by()
        .values_list("practice")
        .annotate(n=Count("pk"))
        .values_list("practice", "n")
    )
    if not counts:
        return []
    rows = list(
        search.with_headlines(matches, query)
        .select_related("requester", "assignee", "assignment_group")
        .defer(*LIST_DEFERRED_FIELDS[1:])[:limit]
    )
    groups = {
        value: PracticeResults(practice=value, label=str(label), total=counts.get(value, 0))
        for value, label in Practice.choices
        if counts.get(value)
    }
    for ticket in rows:
        ticket.title_html = search.highlight(
            getattr(ticket, "title_headline", None), ticket.title, query
        )
        ticket.description_html = search.highlight(
            getattr(ticket, "description_headline", None),
            _excerpt(ticket.description),
            query,
        )
        groups[ticket.practice].tickets.append(ticket)
    return list(groups.values())


def _excerpt(text: str, length: int = 200) -> str:
    return text if len(text) <= length else text[:length] + "…"


def _any_ticket_filterset(user: Any, params: Any, request: Any = None) -> AnyTicketFilter:
    rows = permissions.visible_tickets(user).order_by("-created_at", "-pk")
    return AnyTicketFilter(params, queryset=rows, request=request)


# Each practice's list builds its FilterSet (filters and the user's scope) with one of
# these; the export builds it alike, so a list's CSV holds exactly its rows.
LIST_FILTERSETS: dict[str, Callable[..., FilterSet]] = {
    Practice.INCIDENT: incident_filterset,
    Practice.PROBLEM: problem_filterset,
    Practice.CHANGE: change_filterset,
    Practice.REQUEST: request_filterset,
}


def export_tickets(user: Any, params: Any, request: Any = None):
    """The filtered tickets ``user`` may see, for a streamed export, or the filters' errors.

    Returns ``(rows, None)`` or ``(None, errors)``. With a ``practice`` the rows are that
    practice's list (its FilterSet over its scope); without one, tickets of any practice.
    """
    build = LIST_FILTERSETS.get(params.get("practice"), _any_ticket_filterset)
    filterset = build(user, params, request)
    if not filterset.is_valid():
        return None, filterset.errors
    rows = filterset.qs.select_related(
        "requester", "assignee", "assignment_group", "service"
    ).defer("description", "priority_override_reason")
    return rows.iterator(chunk_size=exports.CHUNK_SIZE), None
