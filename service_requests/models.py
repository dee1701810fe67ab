"""The service request on the shared ticket core."""

from django.utils.translation import gettext_lazy as _

from servicedesk.core.choices import Practice
from servicedesk.core.models import Ticket

from .choices import ServiceRequestStatus


class ServiceRequest(Ticket):
    """A user's request for something the service catalog offers."""

    PRACTICE = Practice.REQUEST
    INITIAL_STATUS = ServiceRequestStatus.SUBMITTED

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")

    def get_status_display(self) -> str:
        return ServiceRequestStatus(self.status).label
