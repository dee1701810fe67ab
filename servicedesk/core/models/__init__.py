"""Models of the ticket core."""

from .audit import AuditEvent
from .calendars import BusinessCalendar, Holiday, WorkingPeriod
from .catalog import CIRelationship, ConfigurationItem, Service
from .people import Membership, Team, User
from .sla import EscalationRule, SLAPolicy
from .tickets import Attachment, Comment, NumberSequence, Ticket, TicketLink, Watcher

__all__ = [
    "Attachment",
    "AuditEvent",
    "BusinessCalendar",
    "CIRelationship",
    "Comment",
    "ConfigurationItem",
    "EscalationRule",
    "Holiday",
    "Membership",
    "NumberSequence",
    "SLAPolicy",
    "Service",
    "Team",
    "Ticket",
    "TicketLink",
    "User",
    "Watcher",
    "WorkingPeriod",
]
