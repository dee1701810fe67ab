"""Choices shared by the ticket core and every practice."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Practice(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    PROBLEM = "problem", _("Problem")
    CHANGE = "change", _("Change")
    REQUEST = "request", _("Service request")


NUMBER_PREFIXES: dict[str, str] = {
    Practice.INCIDENT: "INC",
    Practice.PROBLEM: "PRB",
    Practice.CHANGE: "CHG",
    Practice.REQUEST: "REQ",
}


class Impact(models.IntegerChoices):
    HIGH = 1, _("High")
    MEDIUM = 2, _("Medium")
    LOW = 3, _("Low")


class Urgency(models.IntegerChoices):
    HIGH = 1, _("High")
    MEDIUM = 2, _("Medium")
    LOW = 3, _("Low")


class Priority(models.IntegerChoices):
    CRITICAL = 1, _("P1 critical")
    HIGH = 2, _("P2 high")
    MODERATE = 3, _("P3 moderate")
    LOW = 4, _("P4 low")
    PLANNING = 5, _("P5 planning")


class SLAState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    PAUSED = "paused", _("Paused")


class SLATarget(models.TextChoices):
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")


class EscalationAction(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
    NOTIFY_TEAM_LEAD = "notify_team_lead", _("Notify the team lead")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority")
    REASSIGN = "reassign", _("Reassign to another team")


class TeamKind(models.TextChoices):
    SUPPORT = "support", _("Support team")
    CAB = "cab", _("Change advisory board")
    EMERGENCY_CAB = "emergency_cab", _("Emergency change advisory board")


class Criticality(models.IntegerChoices):
    CRITICAL = 1, _("Critical")
    HIGH = 2, _("High")
    MEDIUM = 3, _("Medium")
    LOW = 4, _("Low")


class CIType(models.TextChoices):
    APPLICATION = "application", _("Application")
    SERVER = "server", _("Server")
    DATABASE = "database", _("Database")
    NETWORK = "network", _("Network device")
    STORAGE = "storage", _("Storage")
    WORKSTATION = "workstation", _("Workstation")
    CLOUD = "cloud", _("Cloud resource")
    OTHER = "other", _("Other")


class CIStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MAINTENANCE = "maintenance", _("In maintenance")
    RETIRED = "retired", _("Retired")


class CIRelationshipKind(models.TextChoices):
    DEPENDS_ON = "depends_on", _("depends on")
    RUNS_ON = "runs_on", _("runs on")
    CONNECTS_TO = "connects_to", _("connects to")
    PART_OF = "part_of", _("is part of")


class LinkKind(models.TextChoices):
    RELATES_TO = "relates_to", _("relates to")
    DUPLICATES = "duplicates", _("duplicates")
    CAUSED_BY = "caused_by", _("is caused by")
    BLOCKS = "blocks", _("blocks")
    PARENT_OF = "parent_of", _("is parent of")


class AuditAction(models.TextChoices):
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    TRANSITION = "transition", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    PRIORITY_OVERRIDDEN = "priority_overridden", _("Priority overridden")
    COMMENTED = "commented", _("Commented")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    LINKED = "linked", _("Linked")
    UNLINKED = "unlinked", _("Unlinked")
    WATCHER_ADDED = "watcher_added", _("Watcher added")
    WATCHER_REMOVED = "watcher_removed", _("Watcher removed")
    SLA = "sla", _("Service level")
    ESCALATED = "escalated", _("Escalated")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")
