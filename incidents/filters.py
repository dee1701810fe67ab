"""The incident list's filters, for the agent UI and the API alike."""

from __future__ import annotations

from django_filters import rest_framework as filters

from servicedesk.core.filters import TicketFilter

from .choices import IncidentStatus
from .models import Category, Incident


class IncidentFilter(TicketFilter):
    """Every ticket filter plus category, major flag and the linked problem."""

    status_choices = IncidentStatus.choices
    category = filters.ModelChoiceFilter(queryset=Category.objects.all())
    is_major = filters.BooleanFilter()
    problem = filters.NumberFilter(field_name="related_problem_id", min_value=1)

    class Meta(TicketFilter.Meta):
        model = Incident
