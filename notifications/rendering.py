"""What an event says to people: one-line summaries, links, Markdown, template context."""

from __future__ import annotations

from typing import Any

import markdown
import nh3
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from servicedesk.core import selectors
from servicedesk.core.choices import Priority

from .events import event_type
from .models import OutboxEvent

# The pages a ticket link may point at, first that exists wins: practice apps add
# their detail pages as they arrive, and links follow without a change here.
AGENT_TICKET_URL_NAMES: dict[str, tuple[str, ...]] = {
    "incident": ("incidents:detail",),
    "problem": ("problems:detail",),
    "change": ("changes:detail",),
    "request": ("service_requests:detail", "requests:detail"),
}
PORTAL_TICKET_URL_NAMES: dict[str, tuple[str, ...]] = {
    "incident": ("portal:incident",),
    "problem": (),
    "change": (),
    "request": ("portal:request-detail",),
}
# Any practice, once the portal has one page for every ticket.
PORTAL_ANY_TICKET_URL_NAMES = ("portal:ticket", "portal:ticket-detail")


def absolute(path: str) -> str:
    return settings.SERVICEDESK_BASE_URL.rstrip("/") + path


def _first_url(names: tuple[str, ...], pk: int) -> str | None:
    for name in names:
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return None


def ticket_path(ticket: dict[str, Any] | None, *, agent: bool) -> str:
    """The path of the ticket's page for an agent or in the portal (its home if none yet)."""
    if not ticket:
        return reverse("dashboard") if agent else reverse("portal:home")
    if agent:
        return _first_url(AGENT_TICKET_URL_NAMES.get(ticket["practice"], ()), ticket["id"]) or (
            reverse("dashboard")
        )
    names = (*PORTAL_TICKET_URL_NAMES.get(ticket["practice"], ()), *PORTAL_ANY_TICKET_URL_NAMES)
    return _first_url(names, ticket["id"]) or reverse("portal:home")


def markdown_html(text: str) -> SafeString:
    """Markdown rendered and sanitised, for HTML emails."""
    return mark_safe(nh3.clean(markdown.markdown(text or "", output_format="html")))


def describe(
    event: OutboxEvent,
    *,
    users: dict[int, str] | None = None,
    teams: dict[int, str] | None = None,
) -> str:
    """A one-line summary of the event (in-app title, fallback subject); no query.

    ``users`` and ``teams`` map ids to the names the text needs (actor, assignee, team).
    """
    users, teams = users or {}, teams or {}
    payload = event.payload or {}
    ticket = payload.get("ticket") or {}
    audit = payload.get("audit") or {}
    number = ticket.get("number", "")
    actor = users.get(event.actor_id or 0) or _("The service desk")
    kind = event.event_type
    if kind == "ticket.created":
        return _("%(actor)s opened %(number)s: %(title)s") % {
            "actor": actor,
            "number": number,
            "title": ticket.get("title", ""),
        }
    if kind == "ticket.assigned":
        who = users.get(ticket.get("assignee") or 0) or teams.get(
            ticket.get("assignment_group") or 0
        )
        if who:
            return _("%(number)s was assigned to %(who)s") % {"number": number, "who": who}
        return _("%(number)s was unassigned") % {"number": number}
    if kind == "ticket.commented":
        if event.internal:
            return _("%(actor)s added an internal note on %(number)s") % {
                "actor": actor,
                "number": number,
            }
        return _("%(actor)s replied on %(number)s") % {"actor": actor, "number": number}
    if kind == "ticket.transitioned":
        status = selectors.status_label(ticket.get("practice", ""), audit.get("to_status", ""))
        return _("%(number)s is now %(status)s") % {"number": number, "status": status}
    if kind == "ticket.updated":
        fields = ", ".join(sorted(audit.get("changes") or {}))
        return _("%(actor)s changed %(fields)s on %(number)s") % {
            "actor": actor,
            "fields": fields,
            "number": number,
        }
    if kind == "ticket.priority_changed":
        return _("The priority of %(number)s is now %(priority)s") % {
            "number": number,
            "priority": priority_label(ticket.get("priority")),
        }
    if kind == "ticket.attachment_added":
        return _("%(actor)s attached a file to %(number)s") % {"actor": actor, "number": number}
    if kind == "sla.warning":
        return _("%(number)s is nearing its SLA target") % {"number": number}
    if kind == "sla.breached":
        return _("%(number)s breached its SLA target") % {"number": number}
    if kind == "approval.needed":
        return _("%(number)s needs your approval") % {"number": number}
    if kind == "incident.major_declared":
        return _("%(actor)s declared %(number)s a major incident: %(title)s") % {
            "actor": actor,
            "number": number,
            "title": ticket.get("title", ""),
        }
    if kind == "change.scheduled":
        return _("%(number)s was scheduled") % {"number": number}
    label = str(event_type(kind).label)
    return f"{label} · {number}" if number else label


def names_for(event: OutboxEvent) -> tuple[dict[int, str], dict[int, str]]:
    """Display names of the event's actor and assignee, and of its team (two queries at most)."""
    from servicedesk.core.models import Team, User

    ticket = (event.payload or {}).get("ticket") or {}
    user_ids = {i for i in (event.actor_id, ticket.get("assignee")) if i}
    users = {u.pk: u.display_name for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    team_id = ticket.get("assignment_group")
    teams = dict(Team.objects.filter(pk=team_id).values_list("pk", "name")) if team_id else {}
    return users, teams


def priority_label(priority: int | None) -> str:
    try:
        return str(Priority(priority).label)
    except ValueError:
        return ""
