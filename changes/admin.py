"""Changes in the back office: the shared ticket admin with the change's statuses."""

from django.contrib import admin

from servicedesk.core.admin import PracticeTicketAdmin

from .choices import ChangeStatus
from .models import Change


@admin.register(Change)
class ChangeAdmin(PracticeTicketAdmin):
    """Changes: created and changed through the core ticket services."""

    status_choices = ChangeStatus.choices
