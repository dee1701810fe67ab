"""Writes of the incident practice: creation with routing, every transition, major incidents."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.outbox import emit_event
from servicedesk.core import permissions as core_permissions
from servicedesk.core import services as core
from servicedesk.core.choices import AuditAction
from servicedesk.core.errors import NotPermitted, ValidationFailed, require_text
from servicedesk.core.models import ConfigurationItem, Membership, Service, Team, User
from servicedesk.core.roles import ROLE_GROUP_NAMES, Role

from . import permissions
from .choices import OPEN_STATUSES, IncidentStatus, OnHoldReason, ResolutionCode
from .models import AssignmentMethod, Category, Incident, RoundRobinCursor, RoutingRule

# Fields an edit may change besides the ticket core's.
EDITABLE_FIELDS = (*core.EDITABLE_FIELDS, "category")


# --- creation, routing and assignment ------------------------------------------------


@transaction.atomic
def incident_create(
    *,
    by: User,
    title: str,
    description: str = "",
    impact: int = 2,
    urgency: int = 2,
    requester: User | None = None,
    category: Category | None = None,
    service: Service | None = None,
    configuration_items: Iterable[ConfigurationItem] = (),
    assignment_group: Team | None = None,
    assignee: User | None = None,
) -> Incident:
    """Log an incident; without a team, routing rules pick one (and maybe an agent)."""
    agent = core_permissions.is_agent(by)
    if not agent and (requester not in (None, by) or assignment_group or assignee):
        raise NotPermitted(_("Only agents can log incidents for others or assign them."))
    incident = Incident(
        title=title,
        description=description,
        impact=impact,
        urgency=urgency,
        requester=requester or by,
        category=category,
        service=service,
        assignment_group=assignment_group,
        assignee=assignee,
    )
    cis = list(configuration_items)
    incident = core.ticket_create(ticket=incident, by=by, configuration_items=cis)
    if assignment_group is None:
        incident = route(incident=incident, configuration_items=cis)
    return incident


def matching_rule(
    *,
    category: Category | None,
    service: Service | None,
    configuration_items: Iterable[ConfigurationItem],
) -> RoutingRule | None:
    """The most specific active rule whose every criterion matches (then the lowest order)."""
    ci_ids = {ci.pk for ci in configuration_items}
    category_ids = {category.pk, category.parent_id} - {None} if category else set()
    candidates = RoutingRule.objects.filter(
        Q(category__isnull=True) | Q(category_id__in=category_ids),
        Q(service__isnull=True) | Q(service_id=service.pk if service else None),
        Q(configuration_item__isnull=True) | Q(configuration_item_id__in=ci_ids),
        is_active=True,
        team__is_active=True,
    ).select_related("team", "category")
    ranked = sorted(candidates, key=lambda rule: (-rule.specificity, rule.order, rule.name))
    return ranked[0] if ranked else None


def route(*, incident: Incident, configuration_items: Iterable[ConfigurationItem]) -> Incident:
    """Apply the matching routing rule, recording the decision and the rule on the timeline."""
    rule = matching_rule(
        category=incident.category,
        service=incident.service,
        configuration_items=configuration_items,
    )
    if rule is None:
        return incident
    assignee, how = None, ""
    if rule.assignment != AssignmentMethod.NONE:
        assignee = pick_agent(team=rule.team, method=rule.assignment)
        how = AssignmentMethod(rule.assignment).label if assignee else ""
    note = _("Routed to %(team)s by rule “%(rule)s”.") % {"team": rule.team, "rule": rule.name}
    if how:
        note += " " + _("Assigned to %(agent)s by %(method)s.") % {
            "agent": assignee,
            "method": how.lower(),
        }
    return core.ticket_assign(
        ticket=incident, by=None, group=rule.team, assignee=assignee, note=note
    )


def eligible_agents(team: Team) -> list[User]:
    """Active agents of the team who are not away, in a stable order."""
    user_ids = Membership.objects.filter(
        team=team, user__is_active=True, user__is_away=False
    ).values("user_id")
    return [
        user
        for user in User.objects.filter(pk__in=user_ids).order_by("username", "pk")
        if core_permissions.is_agent(user)
    ]


def pick_agent(*, team: Team, method: str) -> User | None:
    """Choose who gets the next incident of ``team``; fair under concurrent creation."""
    # One assignment at a time per team: the cursor row is the lock.
    cursor, _created = RoundRobinCursor.objects.get_or_create(team=team)
    cursor = RoundRobinCursor.objects.select_for_update().get(pk=cursor.pk)
    agents = eligible_agents(team)
    if not agents:
        return None
    if method == AssignmentMethod.ROUND_ROBIN:
        ids = [agent.pk for agent in agents]
        following = ids.index(cursor.last_assignee_id) + 1 if cursor.last_assignee_id in ids else 0
        chosen = agents[following % len(agents)]
    else:
        open_work = dict(
            Incident.objects.filter(assignee__in=agents, status__in=OPEN_STATUSES)
            .values_list("assignee_id")
            .annotate(n=Count("pk"))
        )
        chosen = min(agents, key=lambda agent: (open_work.get(agent.pk, 0), agent.username))
    cursor.last_assignee = chosen
    cursor.save(update_fields=["last_assignee"])
    return chosen


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    by: User,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Incident:
    """Edit an incident's fields (agents who work it only)."""
    if not permissions.can_work(incident, by):
        raise NotPermitted(_("You do not work on this incident."))
    return core.ticket_update(
        ticket=incident,
        by=by,
        data=data,
        expected_version=expected_version,
        editable=EDITABLE_FIELDS,
    )


@transaction.atomic
def incident_assign(
    *,
    incident: Incident,
    by: User,
    group: Team | None,
    assignee: User | None,
    expected_version: int | None = None,
) -> Incident:
    """Route or reassign an incident by hand; only agents who work it may."""
    if not permissions.can_work(incident, by):
        raise NotPermitted(_("You do not work on this incident."))
    return core.ticket_assign(
        ticket=incident, by=by, group=group, assignee=assignee, expected_version=expected_version
    )


# --- transitions -----------------------------------------------------------------


def _choice(name: str, value: str, choices: type) -> None:
    if value not in choices.values:
        raise ValidationFailed(
            fields={name: [_("“%(value)s” is not a valid choice.") % {"value": value}]}
        )


@transaction.atomic
def incident_start(
    *, incident: Incident, by: User, expected_version: int | None = None
) -> Incident:
    """Take the incident: it becomes the caller's if nobody has it, and work starts."""
    incident = core.lock_ticket(incident)
    core.check_version(incident, expected_version)
    if not permissions.can_work(incident, by):
        raise NotPermitted(_("You do not work on this incident."))
    incident = core.ticket_take(ticket=incident, by=by)
    return core.ticket_transition(ticket=incident, by=by, name="start")


@transaction.atomic
def incident_hold(
    *,
    incident: Incident,
    by: User,
    reason: str,
    note: str = "",
    expected_version: int | None = None,
) -> Incident:
    """Put the incident on hold for a reason (caller, vendor, change); the SLA clock pauses."""
    require_text(reason=reason)
    _choice("reason", reason, OnHoldReason)
    return core.ticket_transition(
        ticket=incident,
        by=by,
        name="hold",
        expected_version=expected_version,
        note=note.strip() or OnHoldReason(reason).label,
        reason=reason,
    )


@transaction.atomic
def incident_resume(
    *, incident: Incident, by: User, expected_version: int | None = None
) -> Incident:
    """Work on the incident again."""
    return core.ticket_transition(
        ticket=incident, by=by, name="resume", expected_version=expected_version
    )


@transaction.atomic
def incident_resolve(
    *,
    incident: Incident,
    by: User,
    resolution_code: str,
    resolution_notes: str,
    expected_version: int | None = None,
) -> Incident:
    """Service is restored: the code and notes say how."""
    require_text(resolution_code=resolution_code, resolution_notes=resolution_notes)
    _choice("resolution_code", resolution_code, ResolutionCode)
    return core.ticket_transition(
        ticket=incident,
        by=by,
        name="resolve",
        expected_version=expected_version,
        note=resolution_notes.strip(),
        code=resolution_code,
        notes=resolution_notes.strip(),
    )


@transaction.atomic
def incident_reopen(
    *, incident: Incident, by: User, reason: str, expected_version: int | None = None
) -> Incident:
    """The requester (or an agent) says the fix did not hold, within the reopen window."""
    require_text(reason=reason)
    return core.ticket_transition(
        ticket=incident,
        by=by,
        name="reopen",
        expected_version=expected_version,
        note=reason.strip(),
    )


@transaction.atomic
def incident_close(
    *, incident: Incident, by: User | None, expected_version: int | None = None, note: str = ""
) -> Incident:
    """Close a resolved incident: the requester confirms, an agent closes, or the system does."""
    return core.ticket_transition(
        ticket=incident, by=by, name="close", expected_version=expected_version, note=note
    )


@transaction.atomic
def incident_cancel(
    *, incident: Incident, by: User, reason: str, expected_version: int | None = None
) -> Incident:
    """Cancel an incident logged by mistake or no longer needed."""
    require_text(reason=reason)
    return core.ticket_transition(
        ticket=incident,
        by=by,
        name="cancel",
        expected_version=expected_version,
        note=reason.strip(),
    )


def close_expired_resolutions(*, now: timezone.datetime | None = None) -> list[str]:
    """Close every incident resolved longer ago than the reopen window; returns their numbers.

    Each closes in its own transaction; one that changed meanwhile is skipped, so running
    this twice, or in two workers at once, closes each incident once.
    """
    from .models import reopen_window

    cutoff = (now or timezone.now()) - reopen_window()
    closed = []
    due = Incident.objects.filter(status=IncidentStatus.RESOLVED, resolved_at__lt=cutoff)
    for incident in due.order_by("resolved_at").iterator():
        with transaction.atomic():
            locked = (
                Incident.objects.select_for_update(skip_locked=True)
                .filter(pk=incident.pk, status=IncidentStatus.RESOLVED, resolved_at__lt=cutoff)
                .first()
            )
            if locked is None:
                continue
            core.ticket_transition(
                ticket=locked,
                by=None,
                name="close",
                note=_("Closed automatically: the reopen window ended."),
            )
            closed.append(locked.number)
    return closed


TRANSITION_SERVICES = {
    "start": incident_start,
    "hold": incident_hold,
    "resume": incident_resume,
    "resolve": incident_resolve,
    "reopen": incident_reopen,
    "close": incident_close,
    "cancel": incident_cancel,
}


# --- major incidents and problems --------------------------------------------------


@transaction.atomic
def incident_set_major(
    *,
    incident: Incident,
    by: User,
    is_major: bool,
    reason: str = "",
    expected_version: int | None = None,
) -> Incident:
    """Declare (or stand down) a major incident; declaring tells the team leads and the admins."""
    if not permissions.can_declare_major(incident, by):
        raise NotPermitted(_("You do not work on this incident."))
    if is_major:
        require_text(reason=reason)
    incident = core.lock_ticket(incident)
    core.check_version(incident, expected_version)
    if incident.is_major == is_major:
        return incident
    incident.is_major = is_major
    incident.major_declared_at = timezone.now() if is_major else None
    incident.major_declared_by = by if is_major else None
    incident.version += 1
    incident.save(
        update_fields=[
            "is_major",
            "major_declared_at",
            "major_declared_by",
            "version",
            "updated_at",
        ]
    )
    core.audit_record(
        ticket=incident,
        actor=by,
        action=AuditAction.CHANGED,
        changes={"is_major": {"from": not is_major, "to": is_major}},
        note=reason.strip(),
    )
    if is_major:
        emit_event(
            "incident.major_declared",
            ticket=incident,
            actor=by,
            data={"reason": reason.strip()},
            recipients=major_incident_audience(incident),
            internal=True,
        )
    return incident


def major_incident_audience(incident: Incident) -> list[int]:
    """The leads of the incident's team and the service-desk admins, who hear of a major one."""
    leads = Q(memberships__is_lead=True, memberships__team_id=incident.assignment_group_id)
    admins = Q(groups__name=ROLE_GROUP_NAMES[Role.ADMIN]) | Q(is_superuser=True)
    return sorted(
        set(User.objects.filter(leads | admins, is_active=True).values_list("pk", flat=True))
    )


@transaction.atomic
def incident_link_problem(
    *, incident: Incident, by: User, problem: Any, expected_version: int | None = None
) -> Incident:
    """Attach the incident to the problem behind it (or detach it with ``problem=None``)."""
    if not permissions.can_work(incident, by):
        raise NotPermitted(_("You do not work on this incident."))
    incident = core.lock_ticket(incident)
    core.check_version(incident, expected_version)
    new_id = problem.pk if problem is not None else None
    if incident.related_problem_id == new_id:
        return incident
    changes = {"problem": {"from": incident.related_problem_id, "to": new_id}}
    incident.related_problem = problem
    incident.version += 1
    incident.save(update_fields=["related_problem", "version", "updated_at"])
    core.audit_record(ticket=incident, actor=by, action=AuditAction.CHANGED, changes=changes)
    return incident
