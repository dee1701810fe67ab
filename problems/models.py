"""The problem on the shared ticket core, with its lifecycle and the known-error database."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from servicedesk.core.choices import Practice
from servicedesk.core.models import Ticket

from . import permissions
from .choices import ProblemStatus, Publication

S = ProblemStatus


class Problem(Ticket):
    """The cause, or potential cause, of one or more incidents."""

    PRACTICE = Practice.PROBLEM
    INITIAL_STATUS = ProblemStatus.NEW

    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    is_known_error = models.BooleanField(_("known error"), default=False)
    known_error_since = models.DateTimeField(_("known error since"), null=True, blank=True)
    publication = models.CharField(
        _("publication"),
        max_length=10,
        choices=Publication.choices,
        default=Publication.INTERNAL,
        help_text=_("Public known errors are shown to end users in the portal."),
    )
    affected_services = models.ManyToManyField(
        "core.Service", verbose_name=_("affected services"), related_name="problems", blank=True
    )
    resolution_notes = models.TextField(_("resolution notes"), blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [
            models.Index(
                fields=["publication"],
                condition=Q(is_known_error=True),
                name="problem_known_errors",
            ),
        ]

    def get_status_display(self) -> str:
        return ProblemStatus(self.status).label

    @transition(
        field="status", source=S.NEW, target=S.UNDER_INVESTIGATION, permission=permissions.can_work
    )
    def investigate(self) -> None:
        """Start looking for the cause."""

    @transition(
        field="status",
        source=S.UNDER_INVESTIGATION,
        target=S.KNOWN_ERROR,
        permission=permissions.can_work,
    )
    def mark_known_error(self, root_cause: str, workaround: str, publication: str) -> None:
        """The cause is known and a workaround exists: publish it in the known-error database."""
        self.root_cause = root_cause
        self.workaround = workaround
        self.publication = publication
        self.is_known_error = True
        self.known_error_since = timezone.now()

    @transition(
        field="status",
        source=[S.UNDER_INVESTIGATION, S.KNOWN_ERROR],
        target=S.RESOLVED,
        permission=permissions.can_work,
    )
    def resolve(self, notes: str) -> None:
        """The cause is removed."""
        self.resolution_notes = notes
        self.resolved_at = timezone.now()

    @transition(field="status", source=S.RESOLVED, target=S.CLOSED, permission=permissions.can_work)
    def close(self) -> None:
        """Nothing more to do."""
        self.closed_at = timezone.now()

    @transition(
        field="status",
        source=[S.NEW, S.UNDER_INVESTIGATION, S.KNOWN_ERROR],
        target=S.CANCELLED,
        permission=permissions.can_work,
    )
    def cancel(self) -> None:
        """Not a problem after all, or a duplicate."""
        self.closed_at = timezone.now()
