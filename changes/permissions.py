"""Who may see and do what with changes (used by the FSM, the UI and the API alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from servicedesk.core import permissions as core

if TYPE_CHECKING:
    from .models import Change


def _active(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_change_manager(user: Any) -> bool:
    """Change managers veto, override schedule overlaps and may act on every change."""
    return _active(user) and user.has_perm("changes.manage_change")


def sees_all_changes(user: Any) -> bool:
    """Change managers and CAB members see every change (and the whole calendar)."""
    return _active(user) and user.has_perm("changes.view_change")


def visible_changes(user: Any, queryset: QuerySet[Change] | None = None) -> QuerySet[Change]:
    """The changes ``user`` may see: every one for the board, else the ticket core's scope."""
    from .models import Change

    qs = queryset if queryset is not None else Change.objects.all()
    if sees_all_changes(user):
        return qs if _active(user) else qs.none()
    return core.visible_tickets(user, qs)


def can_view(user: Any, change: Change) -> bool:
    return visible_changes(user).filter(pk=change.pk).exists()


def can_raise(user: Any) -> bool:
    """Agents raise changes (for themselves: they are the requester)."""
    return core.is_agent(user)


def can_work(change: Change, user: Any) -> bool:
    """Agents who work the change's team (or its assignee) and change managers move it on."""
    return core.can_work_ticket(user, change) or (core.is_agent(user) and is_change_manager(user))


def nobody(change: Change, user: Any) -> bool:
    """Transitions only the system runs (the CAB's quorum rule)."""
    return False


def can_manage_freezes(user: Any) -> bool:
    return _active(user) and user.has_perm("changes.add_freezeperiod")


def can_view_freezes(user: Any) -> bool:
    return _active(user) and (core.is_agent(user) or user.has_perm("changes.view_freezeperiod"))
