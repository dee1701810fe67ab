"""The incident on the shared ticket core, with its lifecycle, categories and routing rules."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from servicedesk.core.choices import Practice
from servicedesk.core.models import Ticket

from . import permissions
from .choices import IncidentStatus, OnHoldReason, ResolutionCode

S = IncidentStatus


class Category(models.Model):
    """What an incident is about (e.g. Hardware › Printer); routing rules match on it."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["parent__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="category_unique_root"
            ),
        ]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


def reopen_window() -> timedelta:
    return timedelta(hours=settings.INCIDENT_REOPEN_WINDOW_HOURS)


def within_reopen_window(incident: Incident) -> bool:
    """A resolved incident can be reopened until the window after its resolution ends."""
    return (
        incident.resolved_at is not None and timezone.now() < incident.resolved_at + reopen_window()
    )


class Incident(Ticket):
    """An unplanned interruption or degradation of a service."""

    PRACTICE = Practice.INCIDENT
    INITIAL_STATUS = IncidentStatus.NEW

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    is_major = models.BooleanField(_("major incident"), default=False)
    major_declared_at = models.DateTimeField(null=True, blank=True, editable=False)
    major_declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    on_hold_reason = models.CharField(
        _("on-hold reason"), max_length=20, choices=OnHoldReason.choices, blank=True
    )
    resolution_code = models.CharField(
        _("resolution code"), max_length=24, choices=ResolutionCode.choices, blank=True
    )
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0, editable=False)
    # Named so: `problem` is the ticket core's accessor of its Problem child row.
    related_problem = models.ForeignKey(
        "problems.Problem",
        verbose_name=_("problem"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(
                fields=["is_major"], condition=Q(is_major=True), name="incident_major_open"
            ),
        ]

    def get_status_display(self) -> str:
        return IncidentStatus(self.status).label

    # --- lifecycle: each method changes only this object; services do the rest ----------

    @transition(field="status", source=S.NEW, target=S.IN_PROGRESS, permission=permissions.can_work)
    def start(self) -> None:
        """Acknowledge the incident and start working on it."""

    @transition(
        field="status", source=S.IN_PROGRESS, target=S.ON_HOLD, permission=permissions.can_work
    )
    def hold(self, reason: str) -> None:
        """Wait for the caller, a vendor or a change; the SLA clock pauses."""
        self.on_hold_reason = reason

    @transition(
        field="status", source=S.ON_HOLD, target=S.IN_PROGRESS, permission=permissions.can_work
    )
    def resume(self) -> None:
        """Work again after a pause."""
        self.on_hold_reason = ""

    @transition(
        field="status",
        source=[S.IN_PROGRESS, S.ON_HOLD],
        target=S.RESOLVED,
        permission=permissions.can_work,
    )
    def resolve(self, code: str, notes: str) -> None:
        """Service is restored: record how."""
        self.resolution_code = code
        self.resolution_notes = notes
        self.on_hold_reason = ""
        self.resolved_at = timezone.now()

    @transition(
        field="status",
        source=S.RESOLVED,
        target=S.IN_PROGRESS,
        conditions=[within_reopen_window],
        permission=permissions.can_reopen,
    )
    def reopen(self) -> None:
        """The fix did not hold: back to work, within the reopen window."""
        self.reopen_count += 1
        self.resolution_code = ""
        self.resolved_at = None

    @transition(
        field="status", source=S.RESOLVED, target=S.CLOSED, permission=permissions.can_close
    )
    def close(self) -> None:
        """The requester confirmed, an agent closed it, or the reopen window ran out."""
        self.closed_at = timezone.now()

    @transition(
        field="status",
        source=[S.NEW, S.IN_PROGRESS, S.ON_HOLD],
        target=S.CANCELLED,
        permission=permissions.can_cancel,
    )
    def cancel(self) -> None:
        """Logged by mistake or no longer needed."""
        self.on_hold_reason = ""
        self.closed_at = timezone.now()


class AssignmentMethod(models.TextChoices):
    NONE = "none", _("Leave in the team queue")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_OPEN = "least_open", _("Least open work")


class RoutingRule(models.Model):
    """Sends new incidents that match (category, service, CI) to a team; the most specific wins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveIntegerField(
        _("order"), default=100, help_text=_("Among equally specific rules, the lowest wins.")
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
    )
    service = models.ForeignKey(
        "core.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    configuration_item = models.ForeignKey(
        "core.ConfigurationItem",
        verbose_name=_("configuration item"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "core.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+"
    )
    assignment = models.CharField(
        _("assignment inside the team"),
        max_length=16,
        choices=AssignmentMethod.choices,
        default=AssignmentMethod.NONE,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=False)
                | Q(service__isnull=False)
                | Q(configuration_item__isnull=False),
                name="routingrule_has_a_criterion",
            )
        ]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name

    @property
    def specificity(self) -> int:
        return sum(
            value is not None
            for value in (self.category_id, self.service_id, self.configuration_item_id)
        )


class RoundRobinCursor(models.Model):
    """Who got a team's last round-robin assignment, so the next one goes to the following agent."""

    team = models.OneToOneField(
        "core.Team", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("round-robin cursor")
        verbose_name_plural = _("round-robin cursors")

    def __str__(self) -> str:
        return f"{self.team_id} → {self.last_assignee_id}"
