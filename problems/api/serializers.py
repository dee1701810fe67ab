"""Serializers of the problem API: they validate and shape; services write."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from changes.choices import ChangeType
from incidents.models import Incident
from servicedesk.core.api.schema import document_public_counterpart
from servicedesk.core.api.serializers import StrictFieldsMixin
from servicedesk.core.api.tickets import (
    AGENT_TICKET_FIELDS,
    PUBLIC_TICKET_FIELDS,
    READ_ONLY_TICKET_FIELDS,
    TicketSerializer,
    TransitionSerializer,
)
from servicedesk.core.models import Service

from ..choices import Publication
from ..models import Problem

PROBLEM_FIELDS = [
    "root_cause",
    "workaround",
    "is_known_error",
    "known_error_since",
    "publication",
    "affected_services",
    "resolution_notes",
    "incident_count",
]
READ_ONLY_PROBLEM_FIELDS = ["is_known_error", "known_error_since", "resolution_notes"]


class ProblemSerializer(TicketSerializer):
    """A problem as agents see it; create it with the ``incidents`` it comes from."""

    requester = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text=_("The agent who opened the problem.")
    )

    affected_services = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(), many=True, required=False
    )
    incident_count = serializers.IntegerField(read_only=True)
    incidents = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(),
        many=True,
        required=False,
        write_only=True,
        help_text=_("Incidents to link when the problem is created."),
    )
    publication = serializers.ChoiceField(choices=Publication.choices, required=False)

    create_only_fields = ("incidents",)

    class Meta(TicketSerializer.Meta):
        model = Problem
        fields = [*AGENT_TICKET_FIELDS, *PROBLEM_FIELDS, "incidents"]
        read_only_fields = [*READ_ONLY_TICKET_FIELDS, *READ_ONLY_PROBLEM_FIELDS]


class PublicProblemSerializer(TicketSerializer):
    """A problem as a non-agent sees it (rare: they only see problems they opened)."""

    incident_count = serializers.IntegerField(read_only=True)

    class Meta(TicketSerializer.Meta):
        model = Problem
        fields = [*PUBLIC_TICKET_FIELDS, "is_known_error", "incident_count"]
        read_only_fields = [*READ_ONLY_TICKET_FIELDS, "is_known_error", "requester"]


class KnownErrorSerializer(serializers.ModelSerializer):
    """A known error as the database shows it: what happens and how to work around it."""

    class Meta:
        model = Problem
        fields = [
            "id",
            "number",
            "title",
            "description",
            "workaround",
            "root_cause",
            "service",
            "publication",
            "known_error_since",
            "status",
        ]
        read_only_fields = fields


class PublicKnownErrorSerializer(serializers.ModelSerializer):
    """A public known error as end users see it: no root cause, no internal fields."""

    class Meta:
        model = Problem
        fields = ["id", "number", "title", "workaround", "service", "known_error_since"]
        read_only_fields = fields


document_public_counterpart(KnownErrorSerializer, PublicKnownErrorSerializer)


class ProblemKnownErrorSerializer(TransitionSerializer):
    """The cause and the workaround, and whether end users may read them."""

    root_cause = serializers.CharField(max_length=20000)
    workaround = serializers.CharField(max_length=20000)
    publication = serializers.ChoiceField(choices=Publication.choices, default=Publication.INTERNAL)


class ProblemResolveSerializer(TransitionSerializer):
    """How the cause was removed; optionally resolve the open linked incidents too."""

    resolution_notes = serializers.CharField(max_length=20000)
    resolve_incidents = serializers.BooleanField(default=False)


class ProblemReasonSerializer(TransitionSerializer):
    """Why the problem is cancelled."""

    reason = serializers.CharField(max_length=2000)


class RaiseChangeSerializer(StrictFieldsMixin, serializers.Serializer):
    """A draft change for the problem's permanent fix."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    change_type = serializers.ChoiceField(
        choices=[ChangeType.NORMAL, ChangeType.EMERGENCY], default=ChangeType.NORMAL
    )


class LinkIncidentsSerializer(StrictFieldsMixin, serializers.Serializer):
    """Incidents to link to the problem."""

    incidents = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(), many=True, allow_empty=False
    )


class LinkedIncidentSerializer(serializers.ModelSerializer):
    """An incident linked to the problem."""

    class Meta:
        model = Incident
        fields = ["id", "number", "title", "status", "priority", "created_at"]
        read_only_fields = fields
