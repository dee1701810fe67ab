"""Service requests in the back office: the shared ticket admin with the request's statuses."""

from django.contrib import admin

from servicedesk.core.admin import PracticeTicketAdmin

from .choices import ServiceRequestStatus
from .models import ServiceRequest


@admin.register(ServiceRequest)
class ServiceRequestAdmin(PracticeTicketAdmin):
    """Service requests: created and changed through the core ticket services."""

    status_choices = ServiceRequestStatus.choices
