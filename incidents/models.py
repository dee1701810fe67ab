"""The incident on the shared ticket core."""

from django.utils.translation import gettext_lazy as _

from servicedesk.core.choices import Practice
from servicedesk.core.models import Ticket

from .choices import IncidentStatus


class Incident(Ticket):
    """An unplanned interruption or degradation of a service."""

    PRACTICE = Practice.INCIDENT
    INITIAL_STATUS = IncidentStatus.NEW

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def get_status_display(self) -> str:
        return IncidentStatus(self.status).label
