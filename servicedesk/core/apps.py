from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The shared ticket core: people, teams, services, CIs, calendars and tickets."""

    name = "servicedesk.core"
    label = "core"
    verbose_name = _("Service desk core")

    def ready(self) -> None:
        from django.urls import register_converter

        from . import lookups  # noqa: F401 - registers the bounded integer __in lookups
        from .converters import IdConverter
        from .roles import sync_role_groups

        # <id:pk> in every URLconf: ids bounded to the database's integers (a huge one is 404).
        register_converter(IdConverter, "id")

        # Permissions exist only after migrate has run, so the role groups follow it.
        post_migrate.connect(sync_role_groups, dispatch_uid="core.sync_role_groups")
