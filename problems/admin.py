"""Problems in the back office: the shared ticket admin with the problem's statuses."""

from django.contrib import admin

from servicedesk.core.admin import PracticeTicketAdmin

from .choices import ProblemStatus
from .models import Problem


@admin.register(Problem)
class ProblemAdmin(PracticeTicketAdmin):
    """Problems: created and changed through the core ticket services."""

    status_choices = ProblemStatus.choices
