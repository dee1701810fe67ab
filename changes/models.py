"""The change on the shared ticket core."""

from django.utils.translation import gettext_lazy as _

from servicedesk.core.choices import Practice
from servicedesk.core.models import Ticket

from .choices import ChangeStatus


class Change(Ticket):
    """The addition, modification or removal of anything that could affect services."""

    PRACTICE = Practice.CHANGE
    INITIAL_STATUS = ChangeStatus.DRAFT

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def get_status_display(self) -> str:
        return ChangeStatus(self.status).label
