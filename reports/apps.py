from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Search across practices, CSV exports and the managers' reports."""

    name = "reports"
    verbose_name = _("Reports")
