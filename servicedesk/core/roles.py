"""The roles of the design as Django groups, with the permissions each one grants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    END_USER = "end_user", _("End user")
    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    CHANGE_MANAGER = "change_manager", _("Change manager")
    CAB_MEMBER = "cab_member", _("CAB member")
    ADMIN = "admin", _("Service-desk admin")


# The group that carries each role; its name is what admins see.
ROLE_GROUP_NAMES: dict[str, str] = {
    Role.END_USER: "End users",
    Role.AGENT: "Agents",
    Role.TEAM_LEAD: "Team leads",
    Role.CHANGE_MANAGER: "Change managers",
    Role.CAB_MEMBER: "CAB members",
    Role.ADMIN: "Service-desk admins",
}
GROUP_ROLES: dict[str, str] = {name: role for role, name in ROLE_GROUP_NAMES.items()}

_AGENT = [
    "core.work_ticket",
    "core.view_team",
    "core.view_service",
    "core.view_configurationitem",
    "core.view_businesscalendar",
    "core.view_slapolicy",
]
# Practice apps add their own codenames here as they arrive (app_label.codename).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.END_USER: [],
    Role.AGENT: [*_AGENT, "changes.view_freezeperiod", "changes.view_standardchangetemplate"],
    Role.TEAM_LEAD: [*_AGENT, "core.override_priority"],
    Role.CHANGE_MANAGER: [
        *_AGENT,
        *[
            f"changes.{a}_{m}"
            for m in ("freezeperiod", "standardchangetemplate")
            for a in ("add", "change", "view")
        ],
        "changes.view_change",
        "changes.vote_change",
        "changes.manage_change",
    ],
    Role.CAB_MEMBER: [
        "core.view_service",
        "core.view_configurationitem",
        "changes.view_change",
        "changes.vote_change",
        "changes.view_freezeperiod",
    ],
    Role.ADMIN: [
        *_AGENT,
        "core.view_all_tickets",
        "core.override_priority",
        # Everything about the core's reference data and people.
        *[
            f"core.{action}_{model}"
            for model in (
                "user",
                "team",
                "membership",
                "service",
                "configurationitem",
                "cirelationship",
                "businesscalendar",
                "workingperiod",
                "holiday",
                "slapolicy",
                "escalationrule",
                "ticket",
                "comment",
                "attachment",
                "ticketlink",
                "watcher",
                "cannedreply",
            )
            for action in ("add", "change", "view")
        ],
        "core.view_auditevent",
        # Webhooks (as in the API), and the outbox and its deliveries to follow them up.
        "notifications.add_webhooksubscription",
        "notifications.change_webhooksubscription",
        "notifications.view_webhooksubscription",
        "notifications.view_outboxevent",
        "notifications.view_delivery",
        "notifications.view_webhookdelivery",
        # Knowledge articles, their votes and the requesters' satisfaction ratings.
        "knowledge.add_article",
        "knowledge.change_article",
        "knowledge.view_article",
        "knowledge.view_articlevote",
        "portal.view_satisfactionrating",
        # Incident categories and the routing rules that send new incidents to teams.
        *[
            f"incidents.{a}_{m}"
            for m in ("category", "routingrule")
            for a in ("add", "change", "view", "delete")
        ],
        # The service catalog: items and their forms, approval routes and task templates.
        *[
            f"service_requests.{a}_{m}"
            for m in ("catalogcategory", "catalogitem")
            for a in ("add", "change", "view")
        ],
        *[
            f"service_requests.{a}_{m}"
            for m in ("formfield", "approvalstep", "tasktemplate")
            for a in ("add", "change", "view", "delete")
        ],
        *[
            f"changes.{a}_{m}"
            for m in ("freezeperiod", "standardchangetemplate")
            for a in ("add", "change", "view")
        ],
        "auth.view_group",
        "authtoken.view_tokenproxy",
        "authtoken.add_tokenproxy",
        "authtoken.delete_tokenproxy",
    ],
}


def _permissions(codenames: list[str]) -> list[Permission]:
    query = Q()
    for dotted in codenames:
        app_label, codename = dotted.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(query)) if codenames else []


def sync_role_groups(**kwargs: Any) -> None:
    """Create the role groups and give each exactly its permissions (runs after migrate)."""
    using = kwargs.get("using", "default")
    if not Permission.objects.using(using).exists():
        return
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=ROLE_GROUP_NAMES[role])
        group.permissions.set(_permissions(codenames))


def role_group(role: str) -> Group:
    return Group.objects.get(name=ROLE_GROUP_NAMES[role])
