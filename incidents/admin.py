"""Incidents in the back office: the shared ticket admin with the incident's statuses."""

from django.contrib import admin

from servicedesk.core.admin import PracticeTicketAdmin

from .choices import IncidentStatus
from .models import Incident


@admin.register(Incident)
class IncidentAdmin(PracticeTicketAdmin):
    """Incidents: created and changed through the core ticket services."""

    status_choices = IncidentStatus.choices
