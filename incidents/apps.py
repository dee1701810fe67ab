from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    """Incident management: restore normal service as fast as possible."""

    name = "incidents"
    verbose_name = _("Incident management")
