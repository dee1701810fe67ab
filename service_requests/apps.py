from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceRequestsConfig(AppConfig):
    """Service request management and the service catalog (shown to users as "requests")."""

    name = "service_requests"
    verbose_name = _("Service requests")
