"""SLA policies (targets per practice, priority and service) and their escalation rules."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import EscalationAction, Practice, Priority, SLATarget

# A rule's threshold of 100 % is the breach itself.
BREACH = 100


def default_warning_thresholds() -> list[int]:
    return [75, 90]


def validate_warning_thresholds(value: Any) -> None:
    """Percentages of a target, each a whole number from 1 to 99, none twice."""
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v < BREACH for v in value
    ):
        raise ValidationError(_("Give whole percentages from 1 to 99."))
    if len(set(value)) != len(value):
        raise ValidationError(_("Each threshold may appear only once."))


class SLAPolicy(models.Model):
    """Response and resolution targets for tickets of a practice, priority and optional service."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    practice = models.CharField(_("practice"), max_length=16, choices=Practice.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    service = models.ForeignKey(
        "core.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
        help_text=_("Empty: any service. A policy for the ticket's service wins over this."),
    )
    calendar = models.ForeignKey(
        "core.BusinessCalendar",
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        related_name="sla_policies",
    )
    response_minutes = models.PositiveIntegerField(
        _("response target (minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target (minutes)"), validators=[MinValueValidator(1)]
    )
    warning_thresholds = models.JSONField(
        _("warning thresholds (%)"),
        default=default_warning_thresholds,
        blank=True,
        validators=[validate_warning_thresholds],
        help_text=_("Percentages of a target at which the ticket is at risk, e.g. [75, 90]."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["practice", "priority", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "priority"],
                condition=Q(is_active=True, service__isnull=True),
                name="slapolicy_one_active_per_practice_priority",
                violation_error_message=_(
                    "An active policy without a service exists for this practice and priority."
                ),
            ),
            models.UniqueConstraint(
                fields=["practice", "priority", "service"],
                condition=Q(is_active=True, service__isnull=False),
                name="slapolicy_one_active_per_practice_priority_service",
                violation_error_message=_(
                    "An active policy exists for this practice, priority and service."
                ),
            ),
            models.CheckConstraint(
                condition=Q(response_minutes__gte=1, resolution_minutes__gte=1),
                name="slapolicy_targets_positive",
            ),
        ]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    @property
    def levels(self) -> list[int]:
        """The warning thresholds in order, then the breach (100)."""
        return [*sorted(set(self.warning_thresholds or [])), BREACH]


class EscalationRule(models.Model):
    """What to do when a ticket under the policy reaches a threshold of a target, or breaches it."""

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="escalation_rules")
    target = models.CharField(
        _("target"), max_length=16, choices=SLATarget.choices, default=SLATarget.RESOLUTION
    )
    threshold = models.PositiveSmallIntegerField(
        _("threshold (%)"),
        validators=[MinValueValidator(1), MaxValueValidator(BREACH)],
        help_text=_("One of the policy's warning thresholds, or 100 for the breach."),
    )
    action = models.CharField(_("action"), max_length=24, choices=EscalationAction.choices)
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The team to reassign to (only for reassignment)."),
    )

    class Meta:
        ordering = ["policy", "target", "threshold", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "target", "threshold", "action"],
                name="escalationrule_unique_action_per_level",
            ),
            models.CheckConstraint(
                condition=Q(threshold__gte=1, threshold__lte=BREACH),
                name="escalationrule_threshold_range",
            ),
            models.CheckConstraint(
                condition=Q(action=EscalationAction.REASSIGN, team__isnull=False)
                | (~Q(action=EscalationAction.REASSIGN) & Q(team__isnull=True)),
                name="escalationrule_team_only_to_reassign",
            ),
        ]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.threshold}%: {self.get_action_display()}"

    def clean(self) -> None:
        if self.action == EscalationAction.REASSIGN and self.team_id is None:
            raise ValidationError({"team": _("Choose the team to reassign to.")})
        if self.action != EscalationAction.REASSIGN and self.team_id is not None:
            raise ValidationError({"team": _("Only a reassignment names a team.")})
        if self.policy_id is not None and self.threshold not in self.policy.levels:
            raise ValidationError(
                {"threshold": _("Use one of the policy's warning thresholds, or 100.")}
            )
