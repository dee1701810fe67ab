"""The problem list's filters, for the agent UI and the API alike."""

from __future__ import annotations

from django_filters import rest_framework as filters

from servicedesk.core.filters import TicketFilter

from .choices import ProblemStatus, Publication
from .models import Problem


class ProblemFilter(TicketFilter):
    """Every ticket filter plus the known-error flag and its publication."""

    status_choices = ProblemStatus.choices
    is_known_error = filters.BooleanFilter()
    publication = filters.ChoiceFilter(choices=Publication.choices)

    class Meta(TicketFilter.Meta):
        model = Problem
