"""Choices of the service request practice."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceRequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    FULFILLING = "fulfilling", _("Fulfilling")
    FULFILLED = "fulfilled", _("Fulfilled")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
