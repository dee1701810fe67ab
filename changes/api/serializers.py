"""Serializers of the change API: they validate and shape; services write."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from servicedesk.core.api.serializers import StrictFieldsMixin
from servicedesk.core.api.tickets import (
    AGENT_TICKET_FIELDS,
    PUBLIC_TICKET_FIELDS,
    READ_ONLY_TICKET_FIELDS,
    TicketSerializer,
    TransitionSerializer,
)
from servicedesk.core.models import ConfigurationItem, Service

from ..choices import ChangeOutcome, ChangeType, VoteDecision
from ..models import CABVote, Change, FreezePeriod, StandardChangeTemplate
from ..risk import QUESTIONS

CHANGE_FIELDS = [
    "change_type",
    "template",
    "risk",
    "risk_reason",
    "risk_assessment",
    "implementation_plan",
    "backout_plan",
    "test_plan",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "services",
    "cab_decision",
    "cab_decided_at",
    "overlap_override_reason",
    "outcome",
    "review_notes",
]
READ_ONLY_CHANGE_FIELDS = [
    "template",
    "actual_start",
    "actual_end",
    "cab_decision",
    "cab_decided_at",
    "overlap_override_reason",
    "outcome",
    "review_notes",
]


class RiskAssessmentSerializer(StrictFieldsMixin, serializers.Serializer):
    """The risk questionnaire: every question answered yes (true) or no (false)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            q.name: serializers.BooleanField(help_text=f"{q.text} (weight {q.weight})")
            for q in QUESTIONS
        }

    def to_representation(self, instance: Any) -> Any:
        return instance or None


class ChangeSerializer(TicketSerializer):
    """A change as agents see it. ``risk`` comes from ``risk_assessment`` or, set by hand,
    with a ``risk_reason``; standard changes come from ``/standard-changes/…/instantiate/``."""

    requester = serializers.PrimaryKeyRelatedField(read_only=True)
    # Every type is answered (standard ones too); input refuses standard in validate_change_type.
    change_type = serializers.ChoiceField(
        choices=ChangeType.choices,
        required=False,
        help_text=_("normal or emergency; standard changes are made from a template."),
    )
    risk_assessment = RiskAssessmentSerializer(required=False, allow_null=True)
    services = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), many=True, required=False
    )

    class Meta(TicketSerializer.Meta):
        model = Change
        fields = [*AGENT_TICKET_FIELDS, *CHANGE_FIELDS]
        read_only_fields = [*READ_ONLY_TICKET_FIELDS, *READ_ONLY_CHANGE_FIELDS]

    def validate_change_type(self, value: str) -> str:
        if value == ChangeType.STANDARD:
            raise serializers.ValidationError(
                _("Standard changes are made from a standard template.")
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("risk_assessment") is None:
            attrs.pop("risk_assessment", None)
        start = attrs.get("planned_start", getattr(self.instance, "planned_start", None))
        end = attrs.get("planned_end", getattr(self.instance, "planned_end", None))
        if start is not None and end is not None and start >= end:
            raise serializers.ValidationError(
                {"planned_end": [_("The window must end after it starts.")]}
            )
        return attrs


class PublicChangeSerializer(ChangeSerializer):
    """A change as a CAB member or its requester without the agent role sees it."""

    class Meta(ChangeSerializer.Meta):
        fields = [*PUBLIC_TICKET_FIELDS, *CHANGE_FIELDS]
        read_only_fields = [*PUBLIC_TICKET_FIELDS, *CHANGE_FIELDS]


# --- transitions --------------------------------------------------------------------------


class OverrideSerializer(TransitionSerializer):
    """A transition that puts the change on the calendar; a change manager may accept overlaps."""

    override_reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=2000,
        help_text=_(
            "Change managers only: why the window may overlap other changes on the same CIs."
        ),
    )


class CompleteSerializer(TransitionSerializer):
    """How the implementation went."""

    outcome = serializers.ChoiceField(choices=ChangeOutcome.choices)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=4000)


class CloseSerializer(TransitionSerializer):
    """The post-implementation review."""

    review_notes = serializers.CharField(max_length=10000)


class ReasonSerializer(TransitionSerializer):
    """Why the change is withdrawn."""

    reason = serializers.CharField(max_length=2000)


# --- votes, freezes, templates --------------------------------------------------------------


class VoteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A board member's vote: ``decision`` approve or reject, with a ``comment``."""

    decision = serializers.ChoiceField(choices=VoteDecision.choices)
    comment = serializers.CharField(max_length=4000)

    class Meta:
        model = CABVote
        fields = ["id", "voter", "decision", "comment", "created_at", "updated_at"]
        read_only_fields = ["id", "voter", "created_at", "updated_at"]


class VoteResultSerializer(VoteSerializer):
    """The vote just cast, and where the change stands after it."""

    change_status = serializers.CharField(source="change.status", read_only=True)
    cab_decision = serializers.CharField(source="change.cab_decision", read_only=True)

    class Meta(VoteSerializer.Meta):
        fields = [*VoteSerializer.Meta.fields, "change_status", "cab_decision"]


class FreezePeriodSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A window in which no change may be scheduled."""

    class Meta:
        model = FreezePeriod
        fields = ["id", "name", "reason", "start", "end", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start is not None and end is not None and start >= end:
            raise serializers.ValidationError({"end": [_("A freeze must end after it starts.")]})
        return attrs


class StandardChangeTemplateSerializer(serializers.ModelSerializer):
    """A pre-approved change that agents instantiate."""

    class Meta:
        model = StandardChangeTemplate
        fields = [
            "id",
            "name",
            "description",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "risk",
            "duration",
            "assignment_group",
            "services",
            "configuration_items",
        ]
        read_only_fields = fields


class InstantiateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A new draft change from the template; unset fields come from the template."""

    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField(
        required=False, help_text=_("Default: the start plus the template's usual duration.")
    )
    configuration_items = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )
    services = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), many=True, required=False
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("planned_end")
        if end is None:
            template = self.context.get("template")
            try:
                if template is not None:
                    attrs["planned_end"] = attrs["planned_start"] + template.duration
            except OverflowError as exc:
                raise serializers.ValidationError(
                    {"planned_start": [_("The window would end after the year 9999.")]}
                ) from exc
        elif end <= attrs["planned_start"]:
            raise serializers.ValidationError(
                {"planned_end": [_("The window must end after it starts.")]}
            )
        return attrs
