"""Who may read the reports: team leads and service-desk admins."""

from __future__ import annotations

from typing import Any

from servicedesk.core import permissions


def can_view_reports(user: Any) -> bool:
    """Managers: agents who may override priority (team leads) and admins."""
    return permissions.is_agent(user) and (
        user.has_perm("core.override_priority") or permissions.is_service_desk_admin(user)
    )
