"""Choices of the notifications app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSED = "processed", _("Processed")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    IN_APP = "in_app", _("In the app")


class Audience(models.TextChoices):
    """Why someone hears of an event; picks the email template too."""

    RECIPIENT = "recipient", _("Named recipient")
    ASSIGNEE = "assignee", _("Assignee")
    REQUESTER = "requester", _("Requester")
    TEAM = "team", _("Team")
    WATCHER = "watcher", _("Watcher")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class InboundStatus(models.TextChoices):
    CREATED = "created", _("Ticket created")
    REPLIED = "replied", _("Reply added")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")
