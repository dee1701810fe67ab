"""Choices of the service request practice and its catalog."""

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


# What the portal tells the requester, in plain words rather than ITIL's states.
PORTAL_STATUS_TEXT: dict[str, str] = {
    ServiceRequestStatus.SUBMITTED: _("Received"),
    ServiceRequestStatus.AWAITING_APPROVAL: _("Waiting for approval"),
    ServiceRequestStatus.APPROVED: _("Approved"),
    ServiceRequestStatus.FULFILLING: _("Being prepared"),
    ServiceRequestStatus.FULFILLED: _("Delivered"),
    ServiceRequestStatus.CLOSED: _("Completed"),
    ServiceRequestStatus.REJECTED: _("Not approved"),
    ServiceRequestStatus.CANCELLED: _("Cancelled"),
}

# Requests that may still be withdrawn: nothing has been delivered yet.
CANCELLABLE_STATUSES = (
    ServiceRequestStatus.SUBMITTED,
    ServiceRequestStatus.AWAITING_APPROVAL,
    ServiceRequestStatus.APPROVED,
)


class FieldType(models.TextChoices):
    """The kinds of question a catalog item's order form may ask."""

    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    USER = "user", _("Person")
    BOOLEAN = "boolean", _("Yes / no")


CHOICE_FIELD_TYPES = (FieldType.CHOICE, FieldType.MULTI_CHOICE)
TEXT_FIELD_TYPES = (FieldType.TEXT, FieldType.LONG_TEXT)


class ApproverKind(models.TextChoices):
    """Who decides one approval step."""

    MANAGER = "manager", _("The requester's manager")
    TEAM = "team", _("A team (any one member decides)")


class ApprovalStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an earlier step")
    PENDING = "pending", _("Awaiting decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SKIPPED = "skipped", _("Not needed any more")


class ApprovalDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# Tasks someone still has to work on.
OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
TASK_NUMBER_PREFIX = "TASK"
