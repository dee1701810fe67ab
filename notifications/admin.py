"""Notifications in the back office, read-mostly: the outbox and its deliveries are records.

Events, deliveries, in-app notifications, preferences and inbound mail are written by the
notification services (and by people on their own pages), so they are read-only here;
webhook subscriptions are added and changed through their services, and never deleted
(switching one off keeps its delivery log), as in the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from servicedesk.core.admin import ReadOnlyAdminMixin, ServiceErrorsAsMessagesMixin, adopt

from . import services
from .models import (
    Delivery,
    InAppNotification,
    InboundMessage,
    NotificationPreference,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Domain events written with their change, delivered after commit."""

    list_display = ("created_at", "event_type", "ticket", "actor", "status", "attempts")
    list_filter = ("status", "internal", "event_type")
    list_select_related = ("ticket", "actor")
    search_fields = ("ticket__number", "event_type", "dedupe_key")
    ordering = ("-created_at", "-id")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """One email or in-app message of an event to one person, with its outcome."""

    list_display = ("created_at", "event", "channel", "recipient", "status", "sent_at")
    list_filter = ("channel", "status", "audience")
    list_select_related = ("event", "recipient")
    search_fields = ("event__ticket__number", "address", "recipient__username")
    ordering = ("-created_at", "-id")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """One event posted to one subscription, with every attempt's outcome."""

    list_display = ("created_at", "subscription", "event", "status", "status_code", "attempts")
    list_filter = ("status", "subscription")
    list_select_related = ("subscription", "event")
    ordering = ("-created_at", "-id")


@admin.register(InAppNotification)
class InAppNotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The bell's messages; their reader marks them read."""

    list_display = ("created_at", "user", "title", "ticket", "read_at")
    list_filter = ("read_at",)
    list_select_related = ("user", "ticket")
    search_fields = ("user__username", "title", "ticket__number")
    ordering = ("-created_at", "-id")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who turned which notification off; each person sets their own."""

    list_display = ("user", "event_type", "email", "in_app", "updated_at")
    list_filter = ("event_type", "email", "in_app")
    list_select_related = ("user",)
    search_fields = ("user__username", "event_type")
    ordering = ("user", "event_type")


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Emails read from the mailbox, each handled once: the ticket or comment it became."""

    list_display = ("created_at", "sender", "subject", "status", "ticket")
    list_filter = ("status",)
    list_select_related = ("ticket",)
    search_fields = ("sender", "subject", "message_id", "ticket__number")
    ordering = ("-created_at", "-id")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    """Integrations' endpoints; the signing secret is generated when one is added."""

    fields = ("name", "url", "event_types", "is_active", "include_internal")
    readonly_fields = ("consecutive_failures", "disabled_at", "disabled_reason", "created_by")
    list_display = ("name", "url", "is_active", "consecutive_failures", "disabled_at")
    list_filter = ("is_active", "include_internal")
    search_fields = ("name", "url")
    ordering = ("name", "id")
    # Endpoints are HTTPS; an address typed without a scheme is taken as one.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.fields if obj is None else (*self.fields, *self.readonly_fields)

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: forms.ModelForm, change: bool
    ) -> None:
        data = {name: form.cleaned_data[name] for name in self.fields}
        if not change:
            adopt(obj, services.webhook_subscription_create(by=request.user, **data))
            return
        changed = {name: data[name] for name in form.changed_data if name in data}
        if changed:
            services.webhook_subscription_update(subscription=obj, data=changed)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
