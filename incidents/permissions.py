"""Who may run which incident transition (used by the FSM, the UI and the API alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from servicedesk.core import permissions as core

if TYPE_CHECKING:
    from .models import Incident


def can_work(incident: Incident, user: Any) -> bool:
    """Agents of the incident's team (or unrouted ones, or its assignee) work it."""
    return core.can_work_ticket(user, incident)


def can_reopen(incident: Incident, user: Any) -> bool:
    """The requester or an agent who works it reopens a resolution that did not hold."""
    return incident.requester_id == user.pk or core.can_work_ticket(user, incident)


def can_close(incident: Incident, user: Any) -> bool:
    """The requester confirms the resolution; an agent who works it may close it too."""
    return incident.requester_id == user.pk or core.can_work_ticket(user, incident)


def can_cancel(incident: Incident, user: Any) -> bool:
    """Agents cancel; a requester may withdraw their own incident while nobody has started it."""
    if core.can_work_ticket(user, incident):
        return True
    return incident.requester_id == user.pk and incident.status == "new"


def can_declare_major(incident: Incident, user: Any) -> bool:
    """Agents who work the incident declare (or stand down) a major incident."""
    return core.can_work_ticket(user, incident)
