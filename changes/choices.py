"""Choices of the change practice."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ASSESSMENT = "assessment", _("Assessment")
    AUTHORIZATION = "authorization", _("Authorization")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENTING = "implementing", _("Implementing")
    REVIEW = "review", _("Review")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
