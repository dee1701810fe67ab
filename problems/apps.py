from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    """Problem management: find and remove the causes of incidents."""

    name = "problems"
    verbose_name = _("Problem management")
