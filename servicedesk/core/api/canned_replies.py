"""Canned replies for agents: ``/api/v1/canned-replies/`` and their rendering for a ticket."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from .. import permissions, services
from ..models import CannedReply, Team, Ticket


class IsAgent(BasePermission):
    """Agents (and admins, who are agents too) only."""

    def has_permission(self, request: Request, view: object) -> bool:
        return permissions.is_agent(request.user)


class CannedReplyFilter(filters.FilterSet):
    """Replies of one team (``?team=<id>``), or only the global ones (``?global=true``)."""

    team = filters.ModelChoiceFilter(queryset=Team.objects.all())
    is_global = filters.BooleanFilter(field_name="team", lookup_expr="isnull", label="global")

    class Meta:
        model = CannedReply
        fields: list[str] = []


class CannedReplySerializer(serializers.ModelSerializer):
    """A canned reply as written, placeholders and all."""

    class Meta:
        model = CannedReply
        fields = ["id", "title", "body", "team", "is_active", "updated_at"]
        read_only_fields = fields


class RenderedCannedReplySerializer(serializers.Serializer):
    """A canned reply filled in for one ticket, ready to edit and send."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    ticket = serializers.IntegerField()
    body = serializers.CharField()


class RenderQuerySerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


@extend_schema_view(
    list=extend_schema(summary="List the canned replies the caller may use"),
    retrieve=extend_schema(summary="Show a canned reply"),
)
class CannedReplyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Active canned replies of the caller's teams and the global ones; agents only."""

    permission_classes = [IsAgent]
    serializer_class = CannedReplySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CannedReplyFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[CannedReply]:
        return CannedReply.objects.for_agent(self.request.user).order_by("title", "pk")

    @extend_schema(
        summary="A canned reply filled in for a ticket",
        parameters=[
            OpenApiParameter(
                "ticket",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                required=True,
                description=str(_("The id of a ticket the caller can see.")),
            )
        ],
        responses=RenderedCannedReplySerializer,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="render",
        filter_backends=[],
        pagination_class=None,
        serializer_class=RenderedCannedReplySerializer,
    )
    def render(self, request: Request, pk: str | None = None) -> Response:
        reply = self.get_object()
        query = RenderQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ticket = get_object_or_404(
            permissions.visible_tickets(request.user, Ticket.objects.select_related("requester")),
            pk=query.validated_data["ticket"],
        )
        body = services.canned_reply_render(reply, ticket, request.user)
        return Response({"id": reply.pk, "title": reply.title, "ticket": ticket.pk, "body": body})
