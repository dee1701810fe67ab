"""Notifications API: webhooks (admins), the caller's preferences and in-app notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from servicedesk.core import permissions
from servicedesk.core.api.permissions import IsServiceDeskAdmin
from servicedesk.core.api.views import ReadCreateUpdateViewSet
from servicedesk.core.converters import ID_REGEX

from .. import services
from ..choices import WebhookDeliveryStatus
from ..filters import InAppNotificationFilter, WebhookDeliveryFilter, WebhookSubscriptionFilter
from ..models import InAppNotification, WebhookDelivery, WebhookSubscription
from .serializers import (
    InAppNotificationSerializer,
    MarkedReadSerializer,
    PreferenceSerializer,
    WebhookDeliverySerializer,
    WebhookSubscriptionSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List webhook subscriptions"),
    create=extend_schema(summary="Subscribe an endpoint to event types"),
    retrieve=extend_schema(summary="Show a webhook subscription"),
    partial_update=extend_schema(
        summary="Change a webhook subscription (is_active=true re-enables a disabled one)"
    ),
)
class WebhookSubscriptionViewSet(ReadCreateUpdateViewSet):
    """Outbound webhooks: signed JSON posts of domain events to integrations (admins only).

    Like every resource here there is no DELETE: ``is_active: false`` stops a subscription
    and keeps its delivery log.
    """

    permission_classes = [IsServiceDeskAdmin]
    serializer_class = WebhookSubscriptionSerializer
    filterset_class = WebhookSubscriptionFilter
    queryset = WebhookSubscription.objects.all()

    def create_object(self, data: dict[str, Any]) -> WebhookSubscription:
        return services.webhook_subscription_create(by=self.request.user, **data)

    def update_object(self, instance: WebhookSubscription, data: dict[str, Any]) -> Any:
        return services.webhook_subscription_update(subscription=instance, data=data)

    @extend_schema(
        summary="The subscription's delivery log, newest first",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                many=True,
                enum=WebhookDeliveryStatus.values,
                explode=True,
                description="Only deliveries in these states.",
            ),
            OpenApiParameter("event_type", str, description="Only deliveries of this event type."),
        ],
        responses=WebhookDeliverySerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        serializer_class=WebhookDeliverySerializer,
        filter_backends=[],
    )
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        log = WebhookDeliveryFilter(
            request.query_params,
            queryset=WebhookDelivery.objects.filter(subscription=subscription)
            .select_related("event")
            .order_by("-created_at", "-pk"),
        )
        if not log.is_valid():
            raise ValidationError(log.errors)
        page = self.paginate_queryset(log.qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class NotificationPreferencesView(GenericAPIView):
    """Which notifications the caller gets, per event type, by email and in the app."""

    permission_classes = [IsAuthenticated]
    serializer_class = PreferenceSerializer
    filter_backends: list = []
    pagination_class = None

    def _rows(self) -> list[dict[str, Any]]:
        rows = services.preferences_list(
            self.request.user, agent=permissions.is_agent(self.request.user)
        )
        return PreferenceSerializer([row.__dict__ for row in rows], many=True).data

    @extend_schema(summary="The caller's notification preferences")
    def get(self, request: Request) -> Response:
        return Response(self._rows())

    @extend_schema(
        summary="Change some of the caller's notification preferences",
        request=PreferenceSerializer(many=True),
        responses=PreferenceSerializer(many=True),
    )
    def patch(self, request: Request) -> Response:
        serializer = PreferenceSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        services.preferences_set(
            user=request.user,
            choices=serializer.validated_data,
            agent=permissions.is_agent(request.user),
        )
        return Response(self._rows())

    def get_serializer(self, *args: Any, **kwargs: Any) -> PreferenceSerializer:
        kwargs.setdefault("many", True)
        return super().get_serializer(*args, **kwargs)


@extend_schema_view(list=extend_schema(summary="The caller's in-app notifications, newest first"))
class InAppNotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The notifications under the caller's bell."""

    permission_classes = [IsAuthenticated]
    serializer_class = InAppNotificationSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = InAppNotificationFilter
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet[InAppNotification]:
        return (
            InAppNotification.objects.filter(user_id=self.request.user.pk)
            .select_related("event")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        summary="Mark one notification read", request=None, responses=MarkedReadSerializer
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = get_object_or_404(self.get_queryset(), pk=pk)
        changed = services.notifications_mark_read(user=request.user, ids=[notification.pk])
        return Response({"marked_read": changed}, status=status.HTTP_200_OK)

    @extend_schema(
        summary="Mark all the caller's notifications read",
        request=None,
        responses=MarkedReadSerializer,
    )
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request: Request) -> Response:
        return Response({"marked_read": services.notifications_mark_read(user=request.user)})
