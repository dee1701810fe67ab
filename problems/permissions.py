"""Who may run which problem transition (used by the FSM, the UI and the API alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from servicedesk.core import permissions as core

if TYPE_CHECKING:
    from .models import Problem


def can_work(problem: Problem, user: Any) -> bool:
    """Agents of the problem's team (or unrouted ones, or its assignee) work it."""
    return core.can_work_ticket(user, problem)
