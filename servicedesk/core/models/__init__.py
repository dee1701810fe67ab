"""Models of the ticket core."""

from .audit import AuditEvent
from .calendars import BusinessCalendar, Holiday, WorkingPeriod
from .canned_replies import CannedReply
from .catalog import CIRelationship, ConfigurationItem, Service
from .idempotency import IdempotencyRecord
from .people import Membership, Team, User
from .saved_filters import SavedFilter
from .sla import EscalationRule, SLAPolicy
from .tickets import Attachment, Comment, NumberSequence, Ticket, TicketLink, Watcher

__all__ = [
    "Attachment",
    "AuditEvent",
    "BusinessCalendar",
    "CIRelationship",
    "CannedReply",
    "Comment",
    "ConfigurationItem",
    "EscalationRule",
    "Holiday",
    "IdempotencyRecord",
    "Membership",
    "NumberSequence",
    "SLAPolicy",
    "SavedFilter",
    "Service",
    "Team",
    "Ticket",
    "TicketLink",
    "User",
    "Watcher",
    "WorkingPeriod",
]
