"""Choices of the problem practice."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
    KNOWN_ERROR = "known_error", _("Known error")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Publication(models.TextChoices):
    INTERNAL = "internal", _("Internal (agents only)")
    PUBLIC = "public", _("Public (shown in the portal)")


OPEN_STATUSES = (ProblemStatus.NEW, ProblemStatus.UNDER_INVESTIGATION, ProblemStatus.KNOWN_ERROR)
