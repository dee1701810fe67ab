"""The outbox, what it delivered to whom, preferences, webhooks and inbound mail."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import (
    Audience,
    Channel,
    DeliveryStatus,
    InboundStatus,
    OutboxStatus,
    WebhookDeliveryStatus,
)


class OutboxEvent(models.Model):
    """A domain event, written in the transaction of the change it describes.

    Celery fans it out to emails, in-app notifications and webhooks after commit;
    nothing is sent for a rolled-back change, and a beat task picks up events whose
    dispatch never reached the broker.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(_("event type"), max_length=64)
    ticket = models.ForeignKey(
        "core.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # One outbox event per audit event; empty for events that are not ticket changes.
    audit_event = models.OneToOneField(
        "core.AuditEvent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbox_event",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Internal events (internal notes and attachments) never reach end users, and reach
    # only webhooks flagged as internal.
    internal = models.BooleanField(default=False)
    # What happened, as it was at the time (JSON-safe).
    payload = models.JSONField(default=dict, blank=True)
    # Users the emitter named (approvers…), as ids.
    recipient_ids = models.JSONField(default=list, blank=True)
    # Emitters that may run twice give a key; a second event with it is not recorded.
    dedupe_key = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_status_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="outbox_unique_dedupe_key"
            )
        ]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"


class Delivery(models.Model):
    """One event told to one person through one channel; unique, so it is sent once."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_deliveries"
    )
    audience = models.CharField(max_length=16, choices=Audience.choices)
    address = models.CharField(max_length=254, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "recipient"], name="delivery_unique_per_recipient"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient_id} for {self.event_id}"


class NotificationPreference(models.Model):
    """A user's choice for one event type; without a row the event type's defaults hold."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event_type = models.CharField(_("event type"), max_length=64)
    email = models.BooleanField(_("email"), default=True)
    in_app = models.BooleanField(_("in the app"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "event_type"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event_type"], name="preference_unique")
        ]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id} {self.event_type}"


class InAppNotification(models.Model):
    """A line under an agent's bell."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="in_app_notifications"
    )
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(
        "core.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="inapp_unique_per_event")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="inapp_user_unread")]
        verbose_name = _("in-app notification")
        verbose_name_plural = _("in-app notifications")

    def __str__(self) -> str:
        return self.title


class WebhookSubscription(models.Model):
    """An integration's endpoint and the event types it wants, signed with its secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(
        _("event types"), default=list, help_text=_('Event type names, or "*" for all of them.')
    )
    secret = models.CharField(_("secret"), max_length=128)
    is_active = models.BooleanField(_("active"), default=True)
    include_internal = models.BooleanField(
        _("internal events"),
        default=False,
        help_text=_(
            "Also send internal events (internal notes with their text, internal attachments). "
            "Only for integrations that agents alone can read."
        ),
    )
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event posted to one subscription, with every attempt's outcome."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=16,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # [{"at", "status_code", "error", "duration_ms"}, …], one per attempt.
    attempt_log = models.JSONField(default=list, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhookdelivery_unique")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhookdelivery_due"),
            models.Index(fields=["subscription", "-created_at"], name="webhookdelivery_log"),
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id} ({self.status})"


class InboundMessage(models.Model):
    """An email read from the mailbox: remembered by Message-ID so it is handled once."""

    # sha256 of the Message-ID (or of the raw message when it has none).
    key = models.CharField(max_length=64, unique=True)
    message_id = models.TextField(blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=InboundStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    ticket = models.ForeignKey(
        "core.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.ForeignKey(
        "core.Comment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"
