"""FilterSets of the notifications app, for the API (and any page that lists the same)."""

from __future__ import annotations

from django_filters import rest_framework as filters

from servicedesk.core.filters import OrderingFilter

from .choices import WebhookDeliveryStatus
from .models import InAppNotification, WebhookDelivery, WebhookSubscription


class WebhookSubscriptionFilter(filters.FilterSet):
    """Subscriptions by active flag."""

    is_active = filters.BooleanFilter()
    ordering = OrderingFilter(fields=("id", "name", "created_at"))

    class Meta:
        model = WebhookSubscription
        fields: list[str] = []


class WebhookDeliveryFilter(filters.FilterSet):
    """A subscription's delivery log by status and event type."""

    status = filters.MultipleChoiceFilter(choices=WebhookDeliveryStatus.choices)
    event_type = filters.CharFilter(field_name="event__event_type", max_length=64)

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


class InAppNotificationFilter(filters.FilterSet):
    """The caller's notifications, all or unread only."""

    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = InAppNotification
        fields: list[str] = []
