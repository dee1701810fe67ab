"""The problem on the shared ticket core."""

from django.utils.translation import gettext_lazy as _

from servicedesk.core.choices import Practice
from servicedesk.core.models import Ticket

from .choices import ProblemStatus


class Problem(Ticket):
    """The cause, or potential cause, of one or more incidents."""

    PRACTICE = Practice.PROBLEM
    INITIAL_STATUS = ProblemStatus.NEW

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")

    def get_status_display(self) -> str:
        return ProblemStatus(self.status).label
