"""The event types the outbox knows: who hears of each, and what users get by default.

An event type is a stable, dotted, lower-case name (``ticket.commented``) that webhook
subscribers filter on and that users set preferences for. Ticket changes get theirs
from the audit action (``AUDIT_EVENT_TYPES``); other modules emit their own with
``notifications.outbox.emit_event``. A type missing from ``EVENT_TYPES`` still reaches
its named recipients and the webhooks that subscribe to it, with the generic template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from servicedesk.core.choices import AuditAction

from .choices import Audience

EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# A webhook subscription to every event type.
ALL_EVENTS = "*"


@dataclass(frozen=True)
class EventType:
    """How the notifications of one event type are addressed."""

    name: str
    label: str | Promise
    # Who hears of it, in order of precedence: someone in two audiences hears once, as the
    # first. RECIPIENT is whoever the emitter named.
    audiences: tuple[str, ...]
    # What a user who never chose gets.
    email: bool = True
    in_app: bool = True
    # Audiences in which the person who did it hears of it too (a creation confirmation).
    tell_actor: tuple[str, ...] = ()
    # Shown in end users' preferences too (else agents only).
    for_end_users: bool = False


_R, _A, _Q, _T, _W = (
    Audience.RECIPIENT,
    Audience.ASSIGNEE,
    Audience.REQUESTER,
    Audience.TEAM,
    Audience.WATCHER,
)

EVENT_TYPES: dict[str, EventType] = {
    event.name: event
    for event in (
        EventType(
            "ticket.created",
            _("A ticket was created"),
            (_R, _A, _Q, _T),
            tell_actor=(_Q,),
            for_end_users=True,
        ),
        EventType("ticket.assigned", _("A ticket was assigned to me or my team"), (_R, _A, _T)),
        EventType(
            "ticket.commented",
            _("Someone replied or added a note"),
            (_R, _A, _Q, _T, _W),
            for_end_users=True,
        ),
        EventType(
            "ticket.transitioned",
            _("A ticket's status changed"),
            (_R, _A, _Q, _W),
            for_end_users=True,
        ),
        EventType("ticket.updated", _("A ticket's details changed"), (_R, _A), email=False),
        EventType("ticket.priority_changed", _("A ticket's priority was overridden"), (_R, _A)),
        EventType("ticket.attachment_added", _("A file was attached"), (_R, _A), email=False),
        EventType("ticket.linked", _("A ticket was linked to another"), (_R,), email=False),
        EventType("ticket.unlinked", _("A link between tickets was removed"), (_R,), email=False),
        EventType("ticket.watcher_added", _("A watcher was added"), (_R,), email=False),
        EventType("ticket.watcher_removed", _("A watcher was removed"), (_R,), email=False),
        EventType("sla.warning", _("A ticket nears its SLA target"), (_R, _A, _T)),
        EventType("sla.breached", _("A ticket breached its SLA target"), (_R, _A, _T)),
        EventType("approval.needed", _("My approval is needed"), (_R,), for_end_users=True),
        EventType("incident.major_declared", _("A major incident was declared"), (_R,)),
        EventType(
            "change.scheduled",
            _("A change was scheduled"),
            (_R, _A, _Q, _W),
            for_end_users=True,
        ),
    )
}

# Every ticket change is an audit event; this names the event type each action gives.
AUDIT_EVENT_TYPES: dict[str, str] = {
    AuditAction.CREATED: "ticket.created",
    AuditAction.CHANGED: "ticket.updated",
    AuditAction.TRANSITION: "ticket.transitioned",
    AuditAction.ASSIGNED: "ticket.assigned",
    AuditAction.PRIORITY_OVERRIDDEN: "ticket.priority_changed",
    AuditAction.COMMENTED: "ticket.commented",
    AuditAction.ATTACHMENT_ADDED: "ticket.attachment_added",
    AuditAction.LINKED: "ticket.linked",
    AuditAction.UNLINKED: "ticket.unlinked",
    AuditAction.WATCHER_ADDED: "ticket.watcher_added",
    AuditAction.WATCHER_REMOVED: "ticket.watcher_removed",
}


def event_type_for_audit(action: str) -> str:
    """The stable event type of an audit action; actions added later get ``ticket.<action>``."""
    return AUDIT_EVENT_TYPES.get(action, f"ticket.{action}")


def event_type(name: str) -> EventType:
    """The registered type, or a quiet default (named recipients only) for one emitted ad hoc."""
    return EVENT_TYPES.get(name) or EventType(name, name, (Audience.RECIPIENT,))


def is_valid_event_type(name: str) -> bool:
    return bool(EVENT_TYPE_PATTERN.match(name)) and len(name) <= 64


def preference_types(*, agent: bool) -> list[EventType]:
    """The event types a user can set preferences for, in a stable order."""
    return [e for e in EVENT_TYPES.values() if agent or e.for_end_users]
