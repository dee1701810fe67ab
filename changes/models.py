"""The change on the shared ticket core, its CAB votes, standard templates and freeze periods."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, transition

from servicedesk.core.choices import Practice
from servicedesk.core.models import Ticket

from . import permissions
from .choices import (
    CABDecision,
    ChangeOutcome,
    ChangeStatus,
    ChangeType,
    RiskLevel,
    VoteDecision,
)

S = ChangeStatus


def _window_errors(start, end) -> dict[str, list[str]]:
    if start is not None and end is not None and start >= end:
        return {"planned_end": [str(_("The window must end after it starts."))]}
    return {}


class StandardChangeTemplate(models.Model):
    """A pre-approved change that agents instantiate; changes made from it skip the CAB."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    implementation_plan = models.TextField(_("implementation plan"))
    backout_plan = models.TextField(_("backout plan"))
    test_plan = models.TextField(_("test plan"))
    risk = models.CharField(
        _("risk"), max_length=16, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    duration = models.DurationField(
        _("usual duration"), help_text=_("The planned window's length when none is given.")
    )
    assignment_group = models.ForeignKey(
        "core.Team",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    services = models.ManyToManyField(
        "core.Service", verbose_name=_("services"), related_name="+", blank=True
    )
    configuration_items = models.ManyToManyField(
        "core.ConfigurationItem",
        verbose_name=_("configuration items"),
        related_name="+",
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration__gt=timedelta(0)),
                name="standardchangetemplate_positive_duration",
            )
        ]
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")

    def __str__(self) -> str:
        return self.name


class Change(Ticket):
    """The addition, modification or removal of anything that could affect services."""

    PRACTICE = Practice.CHANGE
    INITIAL_STATUS = ChangeStatus.DRAFT

    change_type = models.CharField(
        _("type"), max_length=16, choices=ChangeType.choices, default=ChangeType.NORMAL
    )
    template = models.ForeignKey(
        StandardChangeTemplate,
        verbose_name=_("standard change template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
        editable=False,
    )
    risk = models.CharField(_("risk"), max_length=16, choices=RiskLevel.choices, blank=True)
    # The questionnaire's answers (question → yes/no) when the risk was computed from them.
    risk_assessment = models.JSONField(_("risk questionnaire"), default=dict, blank=True)
    risk_reason = models.TextField(
        _("risk reason"), blank=True, help_text=_("Why the risk was set by hand.")
    )
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    backout_plan = models.TextField(_("backout plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True, editable=False)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True, editable=False)
    services = models.ManyToManyField(
        "core.Service", verbose_name=_("affected services"), related_name="changes", blank=True
    )
    cab_decision = models.CharField(
        _("CAB decision"),
        max_length=16,
        choices=CABDecision.choices,
        default=CABDecision.PENDING,
        editable=False,
    )
    cab_decided_at = models.DateTimeField(_("CAB decided"), null=True, blank=True, editable=False)
    # A change manager accepted that the window overlaps other changes on the same CIs.
    overlap_override_reason = models.TextField(
        _("overlap override reason"), blank=True, editable=False
    )
    overlap_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ChangeOutcome.choices, blank=True, editable=False
    )
    review_notes = models.TextField(_("post-implementation review"), blank=True, editable=False)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [
            models.Index(fields=["planned_start", "planned_end"], name="change_window"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_start__lt=F("planned_end")),
                name="change_window_start_before_end",
            )
        ]
        permissions = [
            ("vote_change", "Can vote on changes as a CAB member"),
            ("manage_change", "Can veto changes and override schedule overlaps"),
        ]

    def get_status_display(self) -> str:
        return ChangeStatus(self.status).label

    def clean(self) -> None:
        super().clean()
        errors = _window_errors(self.planned_start, self.planned_end)
        if errors:
            raise ValidationError(errors)

    @property
    def is_standard(self) -> bool:
        return self.change_type == ChangeType.STANDARD

    @property
    def is_cab_approved(self) -> bool:
        return self.cab_decision == CABDecision.APPROVED

    # --- lifecycle: each method changes only this object; services do the rest ----------

    @transition(
        field="status",
        source=S.DRAFT,
        target=GET_STATE(
            lambda self: S.SCHEDULED if self.is_standard else S.ASSESSMENT,
            states=[S.ASSESSMENT, S.SCHEDULED],
        ),
        permission=permissions.can_work,
    )
    def submit(self) -> None:
        """Hand the change in; a standard change is pre-approved and goes straight to schedule."""

    @transition(
        field="status",
        source=S.ASSESSMENT,
        target=S.AUTHORIZATION,
        permission=permissions.can_work,
    )
    def request_authorization(self) -> None:
        """Ask the CAB (or the emergency CAB) to authorise the change."""
        self.cab_decision = CABDecision.PENDING
        self.cab_decided_at = None

    @transition(
        field="status",
        source=S.AUTHORIZATION,
        target=S.SCHEDULED,
        conditions=[lambda change: change.is_cab_approved],
        permission=permissions.can_work,
    )
    def schedule(self) -> None:
        """Put the authorised change on the calendar (the system does it when the CAB approves)."""

    @transition(
        field="status",
        source=S.AUTHORIZATION,
        target=S.REJECTED,
        permission=permissions.nobody,
    )
    def reject(self) -> None:
        """The CAB refused the change (only the quorum rule runs this)."""
        self.closed_at = timezone.now()

    @transition(
        field="status", source=S.SCHEDULED, target=S.IMPLEMENTING, permission=permissions.can_work
    )
    def start(self) -> None:
        """Implementation begins."""
        self.actual_start = timezone.now()

    @transition(
        field="status", source=S.IMPLEMENTING, target=S.REVIEW, permission=permissions.can_work
    )
    def complete(self, outcome: str) -> None:
        """Implementation is over: record how it went."""
        self.outcome = outcome
        self.actual_end = timezone.now()

    @transition(field="status", source=S.REVIEW, target=S.CLOSED, permission=permissions.can_work)
    def close(self, review_notes: str) -> None:
        """The post-implementation review is done."""
        self.review_notes = review_notes
        self.closed_at = timezone.now()

    @transition(
        field="status",
        source=[S.DRAFT, S.ASSESSMENT, S.AUTHORIZATION, S.SCHEDULED],
        target=S.CANCELLED,
        permission=permissions.can_work,
    )
    def cancel(self) -> None:
        """The change is no longer wanted."""
        self.closed_at = timezone.now()


class CABVote(models.Model):
    """One board member's approval or rejection of a change, with their comment."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cab_votes"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=VoteDecision.choices)
    comment = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["change", "voter"], name="cabvote_one_per_member")
        ]
        verbose_name = _("CAB vote")
        verbose_name_plural = _("CAB votes")

    def __str__(self) -> str:
        return f"{self.voter} {self.get_decision_display()} {self.change_id}"


class FreezePeriod(models.Model):
    """A blackout window in which no change may be scheduled."""

    name = models.CharField(_("name"), max_length=150)
    reason = models.TextField(_("reason"), blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["start", "end"], name="freeze_window")]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="freeze_start_before_end")
        ]
        verbose_name = _("freeze period")
        verbose_name_plural = _("freeze periods")

    def __str__(self) -> str:
        return f"{self.name} ({self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M})"

    def clean(self) -> None:
        super().clean()
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValidationError({"end": _("A freeze must end after it starts.")})


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeedToken(models.Model):
    """The secret in a person's calendar feed URL; only its hash is stored. Revocable."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="change_calendar_token"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)
