from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    """Change enablement: assess, authorise and schedule changes."""

    name = "changes"
    verbose_name = _("Change enablement")
