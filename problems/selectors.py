"""Reads of the problem practice: the known-error database and problem suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.choices import IncidentStatus
from incidents.models import Incident
from servicedesk.core import permissions

from .choices import Publication
from .filters import ProblemFilter
from .models import Problem


def problem_filterset(user: Any, params: Any, request: Any = None) -> ProblemFilter:
    """The problem list's FilterSet on ``params``: the list page and its CSV export use it.

    The list's ``ordering`` is its own (sorting, not a filter) and is left out here.
    """
    data = params.copy() if params is not None else QueryDict(mutable=True)
    data.pop("ordering", None)
    rows = (
        permissions.visible_tickets(user, Problem.objects.all())
        .select_related("assignment_group", "assignee", "service")
        .annotate(incident_count=Count("incidents", distinct=True))
        .order_by("-updated_at", "-pk")
    )
    return ProblemFilter(data or None, queryset=rows)


def known_errors(
    user: object,
    *,
    text: str = "",
    service_id: int | None = None,
    configuration_item_id: int | None = None,
) -> QuerySet[Problem]:
    """Known errors the user may read: all for agents, public ones for everyone else."""
    queryset = Problem.objects.filter(is_known_error=True).select_related("service")
    if not permissions.is_agent(user):
        queryset = queryset.filter(publication=Publication.PUBLIC)
    if text.strip():
        words = text.split()[:8]
        for word in words:
            queryset = queryset.filter(
                Q(number__iexact=word)
                | Q(title__icontains=word)
                | Q(description__icontains=word)
                | Q(root_cause__icontains=word)
                | Q(workaround__icontains=word)
            )
    if service_id:
        queryset = queryset.filter(Q(service_id=service_id) | Q(affected_services__id=service_id))
    if configuration_item_id:
        queryset = queryset.filter(configuration_items__id=configuration_item_id)
    return queryset.distinct().order_by("-known_error_since", "-pk")


@dataclass(frozen=True)
class ProblemSuggestion:
    """Why an agent might open a problem for an incident, with the incidents that suggest it."""

    reason: str
    incidents: list[Incident] = field(default_factory=list)


def problem_suggestion(incident: Incident) -> ProblemSuggestion | None:
    """Suggest a problem when recent unlinked incidents share this one's service, CI or category.

    The rule, shown to the agent as is: at least PROBLEM_SUGGESTION_MIN_INCIDENTS incidents
    (this one included) in the last PROBLEM_SUGGESTION_DAYS days with the same service, the
    same CI or the same category, none of them linked to a problem yet. Never automatic.
    """
    if incident.related_problem_id is not None:
        return None
    since = timezone.now() - timedelta(days=settings.PROBLEM_SUGGESTION_DAYS)
    needed = settings.PROBLEM_SUGGESTION_MIN_INCIDENTS
    recent = Incident.objects.filter(created_at__gte=since, related_problem__isnull=True).exclude(
        status=IncidentStatus.CANCELLED
    )
    criteria = []
    if incident.service_id:
        criteria.append(
            (
                Q(service_id=incident.service_id),
                _("the service %(name)s") % {"name": incident.service},
            )
        )
    for ci in incident.configuration_items.all():
        criteria.append((Q(configuration_items=ci), _("the CI %(name)s") % {"name": ci}))
    if incident.category_id:
        criteria.append(
            (
                Q(category_id=incident.category_id),
                _("the category %(name)s") % {"name": incident.category},
            )
        )
    for condition, described in criteria:
        similar = list(recent.filter(condition).distinct().order_by("-created_at")[:50])
        if len(similar) >= needed:
            reason = _(
                "%(count)s incidents in the last %(days)s days share %(what)s and none is linked "
                "to a problem yet."
            ) % {"count": len(similar), "days": settings.PROBLEM_SUGGESTION_DAYS, "what": described}
            return ProblemSuggestion(reason=reason, incidents=similar)
    return None


def problem_suggestion_for(incident: Incident, user: object) -> ProblemSuggestion | None:
    """The suggestion as ``user`` may see it: the rule counts every incident, but only the
    incidents ``user`` can see are named."""
    suggestion = problem_suggestion(incident)
    if suggestion is None:
        return None
    visible = set(
        permissions.visible_tickets(
            user, Incident.objects.filter(pk__in=[i.pk for i in suggestion.incidents])
        ).values_list("pk", flat=True)
    )
    return replace(suggestion, incidents=[i for i in suggestion.incidents if i.pk in visible])


def incident_problem_panel(
    incident: Incident, user: object, *, suggest: bool = True
) -> dict[str, Any]:
    """What an incident's page shows of problems: the linked one (and its workaround), or,
    if ``suggest``, a suggestion to open one with the incidents that share something with it."""
    if incident.related_problem_id is not None:
        return {"problem": incident.related_problem}
    suggestion = problem_suggestion_for(incident, user) if suggest else None
    if suggestion is None:
        return {}
    ids = dict.fromkeys([incident.pk, *(i.pk for i in suggestion.incidents)])
    query = urlencode([("incidents", pk) for pk in ids])
    return {"suggestion": suggestion, "suggestion_url": f"{reverse('problems:create')}?{query}"}
