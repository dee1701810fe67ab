"""Helpers that raise changes and walk them through their lifecycle with the services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from changes import services
from changes.cab import board_for
from changes.models import Change, FreezePeriod, StandardChangeTemplate
from servicedesk.core.models import Membership, Team, User
from servicedesk.core.roles import Role, role_group
from tests.factories import UserFactory, make_agent

PLANS = {
    "implementation_plan": "1. Drain the node. 2. Install 9.4.2. 3. Reboot.",
    "backout_plan": "Boot the previous firmware image from slot B.",
    "test_plan": "Connect a test client and keep it up for an hour.",
}


def window(days: int = 7, hours: int = 2, start_hour: int = 22) -> tuple[datetime, datetime]:
    """A window ``days`` from now, ``hours`` long, on the hour."""
    start = (timezone.now() + timedelta(days=days)).replace(
        hour=start_hour, minute=0, second=0, microsecond=0
    )
    return start, start + timedelta(hours=hours)


def make_cab_member(team: Team, **kwargs: Any) -> User:
    user = UserFactory(roles=[Role.CAB_MEMBER], **kwargs)
    Membership.objects.create(team=team, user=user)
    return user


def make_change_manager(team: Team | None = None, **kwargs: Any) -> User:
    """An agent who is also a change manager."""
    user = make_agent(team, **kwargs)
    user.groups.add(role_group(Role.CHANGE_MANAGER))
    return User.objects.get(pk=user.pk)  # no permission cache carried over


def ready_change(*, by: User, **fields: Any) -> Change:
    """A normal change with everything submission needs."""
    start, end = window()
    values: dict[str, Any] = {
        "title": "Upgrade the VPN gateway firmware",
        "risk": "medium",
        "risk_reason": "Done twice before without trouble.",
        "planned_start": start,
        "planned_end": end,
        **PLANS,
    }
    values.update(fields)
    return services.change_create(by=by, **values)


def make_template(**fields: Any) -> StandardChangeTemplate:
    cis = fields.pop("configuration_items", ())
    values = {"name": "Rotate a TLS certificate", "duration": timedelta(hours=1), **PLANS}
    values.update(fields)
    template = StandardChangeTemplate.objects.create(**values)
    template.configuration_items.set(cis)
    return template


def make_freeze(start: datetime, end: datetime, name: str = "Year-end freeze") -> FreezePeriod:
    return FreezePeriod.objects.create(name=name, start=start, end=end)


def approve(change: Change) -> Change:
    """Every board member approves, in id order, until the board has decided."""
    for voter_id in sorted(board_for(change).voter_ids):
        change.refresh_from_db()
        if change.status != "authorization" or change.cab_decision != "pending":
            break
        services.change_vote(
            change=change,
            by=User.objects.get(pk=voter_id),
            decision="approve",
            comment="Fine by me.",
        )
    return Change.objects.get(pk=change.pk)


def change_in(status: str, *, change: Change, agent: User, manager: User | None = None) -> Change:
    """Walk ``change`` (a ready draft) to ``status`` through the real transitions."""
    if status == "draft":
        return change
    if status == "cancelled":
        return services.change_cancel(change=change, by=agent, reason="No longer needed")
    change = services.change_submit(change=change, by=agent)
    if status in ("assessment", "scheduled") and change.status == status:
        return change
    if status == "assessment":
        return change
    change = services.change_request_authorization(change=change, by=agent)
    if status == "authorization":
        return change
    if status == "rejected":
        assert manager is not None
        services.change_vote(change=change, by=manager, decision="reject", comment="Too risky.")
        return Change.objects.get(pk=change.pk)
    change = approve(change)
    assert change.status == "scheduled", change.status
    if status == "scheduled":
        return change
    change = services.change_start(change=change, by=agent)
    if status == "implementing":
        return change
    change = services.change_complete(change=change, by=agent, outcome="successful")
    if status == "review":
        return change
    if status == "closed":
        return services.change_close(change=change, by=agent, review_notes="Went to plan.")
    raise ValueError(status)
