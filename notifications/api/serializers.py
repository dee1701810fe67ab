"""Serializers of the notifications API: they validate and shape; services write."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from servicedesk.core.api.serializers import StrictFieldsMixin

from ..events import ALL_EVENTS, is_valid_event_type
from ..models import InAppNotification, WebhookDelivery, WebhookSubscription


class EventTypeField(serializers.CharField):
    """A dotted event type name (``ticket.commented``), or ``*`` for all of them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=64, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value != ALL_EVENTS and not is_valid_event_type(value):
            raise serializers.ValidationError(_("Not an event type (e.g. ticket.commented)."))
        return value


class WebhookSubscriptionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """An endpoint, the event types it wants and the secret its deliveries are signed with."""

    url = serializers.URLField(max_length=500, help_text=_("An http or https URL."))
    event_types = serializers.ListField(
        child=EventTypeField(),
        min_length=1,
        max_length=50,
        help_text=_('Event types to receive, or ["*"] for all.'),
    )
    secret = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=_(
            "Key of the HMAC-SHA256 signature; generated when left out or blank. "
            "Deliveries carry X-Servicedesk-Timestamp and X-Servicedesk-Signature: "
            'sha256=hex(HMAC(secret, "<timestamp>.<body>")).'
        ),
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "secret",
            "is_active",
            "include_internal",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]

    def validate_url(self, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https"):
            raise serializers.ValidationError(_("Only http and https URLs can receive webhooks."))
        return value


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event posted to the subscription: its outcome and every attempt."""

    event_id = serializers.UUIDField(source="event.uuid", read_only=True)
    event_type = serializers.CharField(source="event.event_type", read_only=True)
    attempt_log = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "status_code",
            "error",
            "response_body",
            "duration_ms",
            "attempt_log",
            "next_attempt_at",
            "last_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class PreferenceSerializer(StrictFieldsMixin, serializers.Serializer):
    """Whether the caller hears of one event type by email and in the app."""

    event_type = serializers.CharField(max_length=64)
    label = serializers.CharField(read_only=True)
    email = serializers.BooleanField(required=False)
    in_app = serializers.BooleanField(required=False)


class InAppNotificationSerializer(serializers.ModelSerializer):
    """A notification under the caller's bell."""

    event_type = serializers.CharField(source="event.event_type", read_only=True)

    class Meta:
        model = InAppNotification
        fields = ["id", "event_type", "title", "url", "ticket", "created_at", "read_at"]
        read_only_fields = fields


class MarkedReadSerializer(serializers.Serializer):
    """How many notifications were marked read."""

    marked_read = serializers.IntegerField()
