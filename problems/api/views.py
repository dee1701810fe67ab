"""The problem API: problems, their transitions and incidents, and the known-error database."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from changes import services as change_services
from changes.api.serializers import ChangeSerializer
from incidents.models import Incident
from servicedesk.core import permissions
from servicedesk.core.api.tickets import TicketViewSet, TransitionEndpoint, TransitionSerializer
from servicedesk.core.converters import ID_REGEX

from .. import selectors, services
from ..filters import ProblemFilter
from ..models import Problem
from .serializers import (
    KnownErrorSerializer,
    LinkedIncidentSerializer,
    LinkIncidentsSerializer,
    ProblemKnownErrorSerializer,
    ProblemReasonSerializer,
    ProblemResolveSerializer,
    ProblemSerializer,
    PublicKnownErrorSerializer,
    PublicProblemSerializer,
    RaiseChangeSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List problems"),
    create=extend_schema(summary="Open a problem, optionally from incidents"),
    retrieve=extend_schema(summary="Show a problem"),
    partial_update=extend_schema(summary="Change a problem"),
)
class ProblemViewSet(TicketViewSet):
    """Problems, scoped to what the caller may see."""

    model = Problem
    object_kwarg = "problem"
    serializer_class = ProblemSerializer
    agent_serializer_class = ProblemSerializer
    public_serializer_class = PublicProblemSerializer
    filterset_class = ProblemFilter
    transitions = {
        "investigate": TransitionEndpoint(
            TransitionSerializer, services.problem_investigate, "Start the investigation"
        ),
        "mark_known_error": TransitionEndpoint(
            ProblemKnownErrorSerializer, services.problem_mark_known_error, "Record a known error"
        ),
        "resolve": TransitionEndpoint(
            ProblemResolveSerializer, services.problem_resolve, "Resolve"
        ),
        "close": TransitionEndpoint(TransitionSerializer, services.problem_close, "Close"),
        "cancel": TransitionEndpoint(ProblemReasonSerializer, services.problem_cancel, "Cancel"),
    }

    def base_queryset(self) -> QuerySet[Problem]:
        return (
            super()
            .base_queryset()
            .prefetch_related("affected_services")
            .annotate(incident_count=Count("incidents", distinct=True))
        )

    def create_object(self, data: dict[str, Any]) -> Problem:
        user = self.request.user
        incidents = data.pop("incidents", [])
        hidden = [i.number for i in incidents if not permissions.can_view_ticket(user, i)]
        if hidden:
            raise serializers.ValidationError({"incidents": [_("No such incident.")]})
        return services.problem_create(
            by=user,
            configuration_items=data.pop("configuration_items", []),
            affected_services=data.pop("affected_services", []),
            incidents=incidents,
            **data,
        )

    def update_service(self, **kwargs: Any) -> Problem:
        return services.problem_update(**kwargs)

    def assign_service(self, **kwargs: Any) -> Problem:
        return services.problem_assign(**kwargs)

    @extend_schema(
        summary="Incidents linked to the problem", responses=LinkedIncidentSerializer(many=True)
    )
    @action(
        detail=True,
        methods=["get"],
        serializer_class=LinkedIncidentSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def incidents(self, request: Request, pk: str | None = None) -> Response:
        problem = self.get_object()
        linked = permissions.visible_tickets(
            request.user, Incident.objects.filter(related_problem=problem)
        )
        return Response(
            LinkedIncidentSerializer(linked.order_by("-created_at", "-pk"), many=True).data
        )

    @extend_schema(
        summary="Link incidents to the problem",
        request=LinkIncidentsSerializer,
        responses={200: LinkedIncidentSerializer(many=True)},
    )
    @incidents.mapping.post
    def link_incidents(self, request: Request, pk: str | None = None) -> Response:
        problem = self.get_object()
        serializer = LinkIncidentsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incidents = serializer.validated_data["incidents"]
        if any(not permissions.can_view_ticket(request.user, i) for i in incidents):
            raise serializers.ValidationError({"incidents": [_("No such incident.")]})
        services.problem_link_incidents(problem=problem, by=request.user, incidents=incidents)
        return self.incidents(request, pk)

    @extend_schema(summary="Unlink an incident", request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=rf"incidents/(?P<incident_id>{ID_REGEX})")
    def unlink_incident(
        self, request: Request, pk: str | None = None, incident_id: str = ""
    ) -> Response:
        problem = self.get_object()
        incident = get_object_or_404(
            Incident.objects.filter(related_problem=problem), pk=incident_id
        )
        services.problem_unlink_incident(problem=problem, by=request.user, incident=incident)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Raise a draft change for the problem's permanent fix",
        request=RaiseChangeSerializer,
        responses={201: ChangeSerializer},
    )
    @action(
        detail=True, methods=["post"], url_path="change", serializer_class=RaiseChangeSerializer
    )
    def raise_change(self, request: Request, pk: str | None = None) -> Response:
        problem = self.get_object()
        serializer = RaiseChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = change_services.change_raise_for_problem(
            problem=problem, by=request.user, **serializer.validated_data
        )
        return Response(
            ChangeSerializer(change, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(
    summary="Search the known-error database",
    parameters=[
        OpenApiParameter(
            "search", str, description="Words to find in title, description, cause or workaround"
        ),
        OpenApiParameter("service", int),
        OpenApiParameter("configuration_item", int),
    ],
)
class KnownErrorListView(generics.ListAPIView):
    """Known errors: every one for agents, the public ones for everyone signed in."""

    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if getattr(self, "swagger_fake_view", False) or permissions.is_agent(self.request.user):
            return KnownErrorSerializer
        return PublicKnownErrorSerializer

    def get_queryset(self) -> QuerySet[Problem]:
        params = self.request.query_params
        return selectors.known_errors(
            self.request.user,
            text=params.get("search", "")[:200],
            service_id=_positive_int(params.get("service"), "service"),
            configuration_item_id=_positive_int(
                params.get("configuration_item"), "configuration_item"
            ),
        )


def _positive_int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 12:
        raise serializers.ValidationError({name: [_("Enter a whole number.")]})
    return int(value)
