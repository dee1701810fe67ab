"""Helpers that put incidents in each state through the services, as people would."""

from __future__ import annotations

from incidents import services
from incidents.models import Incident
from servicedesk.core.models import User


def incident_in(status: str, *, incident: Incident, agent: User) -> Incident:
    """Walk ``incident`` (new) to ``status`` through the real transitions, as ``agent``."""
    if status == "new":
        return incident
    if status == "cancelled":
        return services.incident_cancel(incident=incident, by=agent, reason="Logged twice")
    incident = services.incident_start(incident=incident, by=agent)
    if status == "in_progress":
        return incident
    if status == "on_hold":
        return services.incident_hold(incident=incident, by=agent, reason="awaiting_vendor")
    incident = services.incident_resolve(
        incident=incident, by=agent, resolution_code="solved", resolution_notes="Replaced toner"
    )
    if status == "resolved":
        return incident
    if status == "closed":
        return services.incident_close(incident=incident, by=agent)
    raise ValueError(status)
