from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Notifications, webhooks and email-to-ticket, all fed by the transactional outbox."""

    name = "notifications"
    verbose_name = _("Notifications")
