"""The change API: changes and their transitions, CAB votes, freeze periods, standard templates."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from servicedesk.core import permissions as core_permissions
from servicedesk.core.api.tickets import (
    TicketViewSet,
    TransitionEndpoint,
    TransitionSerializer,
)
from servicedesk.core.api.views import ReadCreateUpdateViewSet
from servicedesk.core.errors import NotPermitted

from .. import permissions, services
from ..filters import ChangeFilter, FreezePeriodFilter
from ..models import CABVote, Change, FreezePeriod, StandardChangeTemplate
from .serializers import (
    ChangeSerializer,
    CloseSerializer,
    CompleteSerializer,
    FreezePeriodSerializer,
    InstantiateSerializer,
    OverrideSerializer,
    PublicChangeSerializer,
    ReasonSerializer,
    StandardChangeTemplateSerializer,
    VoteResultSerializer,
    VoteSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List changes"),
    create=extend_schema(summary="Raise a normal or emergency change (as a draft)"),
    retrieve=extend_schema(summary="Show a change"),
    partial_update=extend_schema(summary="Change, plan or assign a change"),
)
class ChangeViewSet(TicketViewSet):
    """Changes, scoped to what the caller may see (the board sees them all)."""

    model = Change
    object_kwarg = "change"
    serializer_class = ChangeSerializer
    agent_serializer_class = ChangeSerializer
    public_serializer_class = PublicChangeSerializer
    filterset_class = ChangeFilter
    transitions = {
        "submit": TransitionEndpoint(OverrideSerializer, services.change_submit, "Submit"),
        "request_authorization": TransitionEndpoint(
            TransitionSerializer,
            services.change_request_authorization,
            "Ask the CAB for authorization",
        ),
        "schedule": TransitionEndpoint(
            OverrideSerializer,
            services.change_schedule,
            "Schedule an approved change the system could not schedule",
        ),
        "start": TransitionEndpoint(TransitionSerializer, services.change_start, "Start"),
        "complete": TransitionEndpoint(CompleteSerializer, services.change_complete, "Complete"),
        "close": TransitionEndpoint(CloseSerializer, services.change_close, "Close"),
        "cancel": TransitionEndpoint(ReasonSerializer, services.change_cancel, "Cancel"),
    }

    def base_queryset(self) -> QuerySet[Change]:
        return super().base_queryset().prefetch_related("services")

    def get_queryset(self) -> QuerySet[Change]:
        return permissions.visible_changes(self.request.user, self.base_queryset()).order_by(
            "-created_at", "-pk"
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not permissions.can_raise(request.user):
            raise NotPermitted(_("Only agents raise changes."))
        return super().create(request, *args, **kwargs)

    def create_object(self, data: dict[str, Any]) -> Change:
        return services.change_create(by=self.request.user, **data)

    def update_service(self, **kwargs: Any) -> Change:
        return services.change_update(**kwargs)

    def assign_service(self, **kwargs: Any) -> Change:
        return services.change_assign(**kwargs)

    def transition_names(self, ticket: Change, user: Any) -> list[str]:
        return list(services.available_transitions(ticket, user))

    # --- CAB votes -------------------------------------------------------------------------

    def _votes_change(self) -> Change:
        change = self.get_object()
        user = self.request.user
        if not (core_permissions.is_agent(user) or permissions.sees_all_changes(user)):
            raise NotPermitted()
        return change

    @extend_schema(summary="The CAB's votes on a change", responses=VoteSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="votes",
        serializer_class=VoteSerializer,
        pagination_class=None,
        filter_backends=[],
    )
    def votes(self, request: Request, pk: str | None = None) -> Response:
        change = self._votes_change()
        votes = CABVote.objects.filter(change=change).order_by("created_at", "pk")
        return Response(VoteSerializer(votes, many=True).data)

    @extend_schema(
        summary="Approve or reject a change as a board member (again, to change the vote)",
        request=VoteSerializer,
        responses={201: VoteResultSerializer, 200: VoteResultSerializer},
    )
    @votes.mapping.post
    def cast_vote(self, request: Request, pk: str | None = None) -> Response:
        change = self._votes_change()
        serializer = VoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        existed = CABVote.objects.filter(change=change, voter=request.user).exists()
        vote = services.change_vote(change=change, by=request.user, **serializer.validated_data)
        vote = CABVote.objects.select_related("change").get(pk=vote.pk)
        return Response(
            VoteResultSerializer(vote).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class FreezePermission(BasePermission):
    """Agents and the board read freezes; change managers and admins declare and change them."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return permissions.can_view_freezes(request.user)
        return permissions.can_manage_freezes(request.user)


@extend_schema_view(
    list=extend_schema(summary="List freeze periods"),
    create=extend_schema(summary="Declare a freeze period"),
    retrieve=extend_schema(summary="Show a freeze period"),
    partial_update=extend_schema(summary="Change a freeze period"),
)
class FreezePeriodViewSet(ReadCreateUpdateViewSet):
    """Blackout windows in which no change may be scheduled."""

    permission_classes = [IsAuthenticated, FreezePermission]
    serializer_class = FreezePeriodSerializer
    filterset_class = FreezePeriodFilter
    queryset = FreezePeriod.objects.order_by("start", "pk")

    def create_object(self, data: dict[str, Any]) -> FreezePeriod:
        return services.freeze_period_create(by=self.request.user, **data)

    def update_object(self, instance: FreezePeriod, data: dict[str, Any]) -> FreezePeriod:
        return services.freeze_period_update(freeze=instance, by=self.request.user, data=data)


class IsAgent(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return core_permissions.is_agent(request.user)


@extend_schema_view(
    list=extend_schema(summary="List standard change templates"),
    retrieve=extend_schema(summary="Show a standard change template"),
)
class StandardChangeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Pre-approved changes; instantiating one raises a standard change that skips the CAB."""

    permission_classes = [IsAuthenticated, IsAgent]
    serializer_class = StandardChangeTemplateSerializer
    queryset = StandardChangeTemplate.objects.filter(is_active=True).prefetch_related(
        "services", "configuration_items"
    )
    filter_backends: list = []
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        summary="Raise a standard change from this template (as a draft)",
        request=InstantiateSerializer,
        responses={201: ChangeSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=InstantiateSerializer)
    def instantiate(self, request: Request, pk: str | None = None) -> Response:
        template = get_object_or_404(StandardChangeTemplate, pk=pk, is_active=True)
        serializer = InstantiateSerializer(data=request.data, context={"template": template})
        serializer.is_valid(raise_exception=True)
        change = services.standard_change_create(
            template=template, by=request.user, **serializer.validated_data
        )
        shown = ChangeViewSet().base_queryset().get(pk=change.pk)
        response = Response(
            ChangeSerializer(shown, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
        response["ETag"] = f'"{shown.version}"'
        return response
