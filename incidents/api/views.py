"""The incident API: list, create, show, change, and run transitions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from servicedesk.core import permissions
from servicedesk.core.api.tickets import TicketViewSet, TransitionEndpoint, TransitionSerializer
from servicedesk.core.errors import NotPermitted

from .. import services
from ..filters import IncidentFilter
from ..models import Incident
from .serializers import (
    IncidentHoldSerializer,
    IncidentReasonSerializer,
    IncidentResolveSerializer,
    IncidentSerializer,
    ProblemSuggestionSerializer,
    PublicIncidentSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List incidents"),
    create=extend_schema(summary="Log an incident"),
    retrieve=extend_schema(summary="Show an incident"),
    partial_update=extend_schema(summary="Change, assign or declare a major incident"),
)
class IncidentViewSet(TicketViewSet):
    """Incidents, scoped to what the caller may see."""

    model = Incident
    object_kwarg = "incident"
    serializer_class = IncidentSerializer
    agent_serializer_class = IncidentSerializer
    public_serializer_class = PublicIncidentSerializer
    filterset_class = IncidentFilter
    transitions = {
        "start": TransitionEndpoint(TransitionSerializer, services.incident_start, "Start work"),
        "hold": TransitionEndpoint(IncidentHoldSerializer, services.incident_hold, "Put on hold"),
        "resume": TransitionEndpoint(TransitionSerializer, services.incident_resume, "Resume"),
        "resolve": TransitionEndpoint(
            IncidentResolveSerializer, services.incident_resolve, "Resolve"
        ),
        "reopen": TransitionEndpoint(IncidentReasonSerializer, services.incident_reopen, "Reopen"),
        "close": TransitionEndpoint(TransitionSerializer, services.incident_close, "Close"),
        "cancel": TransitionEndpoint(IncidentReasonSerializer, services.incident_cancel, "Cancel"),
    }

    def base_queryset(self) -> QuerySet[Incident]:
        return super().base_queryset().select_related("category")

    def create_object(self, data: dict[str, Any]) -> Incident:
        data.pop("is_major", None)
        data.pop("major_reason", None)
        data.pop("related_problem", None)
        cis = data.pop("configuration_items", [])
        return services.incident_create(by=self.request.user, configuration_items=cis, **data)

    def update_object(
        self, instance: Incident, data: dict[str, Any], expected_version: int | None = None
    ) -> Incident:
        user = self.request.user
        if not permissions.is_agent(user):
            raise NotPermitted()
        with transaction.atomic():
            major = data.pop("is_major", None)
            reason = data.pop("major_reason", "")
            has_problem = "related_problem" in data
            problem = data.pop("related_problem", None)
            # The version is checked once, by the first change; each one then raises it.
            incident, expected_version = self.update_fields_and_assignment(
                instance, data, expected_version
            )
            if has_problem:
                incident = services.incident_link_problem(
                    incident=incident, by=user, problem=problem, expected_version=expected_version
                )
                expected_version = None
            if major is not None:
                incident = services.incident_set_major(
                    incident=incident,
                    by=user,
                    is_major=major,
                    reason=reason,
                    expected_version=expected_version,
                )
        return incident

    def update_service(self, **kwargs: Any) -> Incident:
        return services.incident_update(**kwargs)

    def assign_service(self, **kwargs: Any) -> Incident:
        return services.incident_assign(**kwargs)

    @extend_schema(
        summary="Should a problem be opened? The rule's reason and the incidents behind it",
        responses=ProblemSuggestionSerializer,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="problem-suggestion",
        serializer_class=None,
        filter_backends=[],
        pagination_class=None,
    )
    def problem_suggestion(self, request: Request, pk: str | None = None) -> Response:
        from problems.selectors import problem_suggestion_for

        incident = self.get_object()
        if not permissions.is_agent(request.user):
            raise NotPermitted()
        suggestion = problem_suggestion_for(incident, request.user)
        if suggestion is None:
            return Response({"suggested": False, "reason": "", "incidents": []})
        return Response(
            {
                "suggested": True,
                "reason": suggestion.reason,
                "incidents": [
                    {"id": i.pk, "number": i.number, "title": i.title} for i in suggestion.incidents
                ],
            }
        )
