"""Reads of the incident practice, already scoped to the user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from servicedesk.core import permissions
from servicedesk.core.selectors import LIST_DEFERRED_FIELDS

from .filters import IncidentFilter
from .models import Incident

# The list's order when the query names none.
DEFAULT_ORDERING = "-updated_at"


def incident_list(user: Any) -> QuerySet[Incident]:
    """The incidents ``user`` may see, with what a list row shows joined in."""
    return (
        permissions.visible_tickets(user, Incident.objects.all())
        .select_related("requester", "assignee", "assignment_group")
        .defer(*LIST_DEFERRED_FIELDS, "resolution_notes")
        .order_by(DEFAULT_ORDERING, "-pk")
    )


def incident_filterset(user: Any, params: Any, request: Any = None) -> IncidentFilter:
    """The incident list's FilterSet on ``params``: the list page and its CSV export use it."""
    return IncidentFilter(params, queryset=incident_list(user), request=request)
