"""Serializers of the incident API: they validate and shape; services write."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from problems.models import Problem
from servicedesk.core.api.tickets import (
    AGENT_TICKET_FIELDS,
    PUBLIC_TICKET_FIELDS,
    READ_ONLY_TICKET_FIELDS,
    TicketSerializer,
    TransitionSerializer,
)

from ..choices import OnHoldReason, ResolutionCode
from ..models import Category, Incident

PUBLIC_INCIDENT_FIELDS = [
    "category",
    "on_hold_reason",
    "resolution_code",
    "resolution_notes",
    "reopen_count",
    "is_major",
]
READ_ONLY_INCIDENT_FIELDS = [
    "on_hold_reason",
    "resolution_code",
    "resolution_notes",
    "reopen_count",
]


class IncidentSerializer(TicketSerializer):
    """An incident as agents see it; ``is_major`` with ``major_reason`` declares a major one."""

    create_only_fields = ("requester",)

    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    problem = serializers.PrimaryKeyRelatedField(
        source="related_problem", queryset=Problem.objects.all(), required=False, allow_null=True
    )
    is_major = serializers.BooleanField(required=False)
    major_reason = serializers.CharField(
        write_only=True,
        required=False,
        max_length=2000,
        help_text=_("Why the incident is major; required when setting is_major to true."),
    )

    class Meta(TicketSerializer.Meta):
        model = Incident
        fields = [*AGENT_TICKET_FIELDS, *PUBLIC_INCIDENT_FIELDS, "problem", "major_reason"]
        read_only_fields = [*READ_ONLY_TICKET_FIELDS, *READ_ONLY_INCIDENT_FIELDS]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("is_major") and not (attrs.get("major_reason") or "").strip():
            raise serializers.ValidationError({"major_reason": [_("Say why it is major.")]})
        return attrs


class PublicIncidentSerializer(TicketSerializer):
    """An incident as its requester (an end user) sees it: no internal fields."""

    requester = serializers.PrimaryKeyRelatedField(read_only=True)
    is_major = serializers.BooleanField(read_only=True)

    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )

    class Meta(TicketSerializer.Meta):
        model = Incident
        fields = [*PUBLIC_TICKET_FIELDS, *PUBLIC_INCIDENT_FIELDS]
        read_only_fields = [
            *READ_ONLY_TICKET_FIELDS,
            *READ_ONLY_INCIDENT_FIELDS,
            "is_major",
            "requester",
        ]


class IncidentHoldSerializer(TransitionSerializer):
    """Why the incident waits."""

    reason = serializers.ChoiceField(choices=OnHoldReason.choices)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class IncidentResolveSerializer(TransitionSerializer):
    """How the service was restored."""

    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices)
    resolution_notes = serializers.CharField(max_length=10000)


class IncidentReasonSerializer(TransitionSerializer):
    """A transition that needs a reason (reopen, cancel)."""

    reason = serializers.CharField(max_length=2000)


class SuggestedIncidentSerializer(serializers.Serializer):
    """An incident behind a problem suggestion."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()


class ProblemSuggestionSerializer(serializers.Serializer):
    """Whether recent similar incidents suggest a problem, and why."""

    suggested = serializers.BooleanField()
    reason = serializers.CharField()
    incidents = SuggestedIncidentSerializer(many=True)
