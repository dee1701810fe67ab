"""Writes of the problem practice: creation from incidents, every transition, incident links."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from incidents import services as incident_services
from incidents.choices import IncidentStatus, ResolutionCode
from incidents.models import Incident
from servicedesk.core import permissions as core_permissions
from servicedesk.core import services as core
from servicedesk.core.choices import AuditAction
from servicedesk.core.errors import ApplicationError, NotPermitted, ValidationFailed, require_text
from servicedesk.core.models import ConfigurationItem, Service, Team, User

from . import permissions
from .choices import Publication
from .models import Problem

EDITABLE_FIELDS = (*core.EDITABLE_FIELDS, "root_cause", "workaround", "publication")


@transaction.atomic
def problem_create(
    *,
    by: User,
    title: str,
    description: str = "",
    impact: int = 2,
    urgency: int = 2,
    service: Service | None = None,
    affected_services: Iterable[Service] = (),
    configuration_items: Iterable[ConfigurationItem] = (),
    assignment_group: Team | None = None,
    assignee: User | None = None,
    incidents: Iterable[Incident] = (),
    root_cause: str = "",
    workaround: str = "",
    publication: str = Publication.INTERNAL,
) -> Problem:
    """Open a problem (agents only), linking the incidents it comes from."""
    if not core_permissions.is_agent(by):
        raise NotPermitted(_("Only agents open problems."))
    problem = core.ticket_create(
        ticket=Problem(
            title=title,
            description=description,
            impact=impact,
            urgency=urgency,
            requester=by,
            service=service,
            assignment_group=assignment_group,
            assignee=assignee,
            root_cause=root_cause,
            workaround=workaround,
            publication=publication,
        ),
        by=by,
        configuration_items=configuration_items,
    )
    services = list(affected_services)
    if services:
        problem.affected_services.set(services)
    for incident in incidents:
        incident_services.incident_link_problem(incident=incident, by=by, problem=problem)
    return problem


@transaction.atomic
def problem_update(
    *,
    problem: Problem,
    by: User,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Problem:
    """Edit a problem's fields (agents who work it only)."""
    if not permissions.can_work(problem, by):
        raise NotPermitted(_("You do not work on this problem."))
    data = dict(data)
    if "publication" in data and data["publication"] not in Publication.values:
        raise ValidationFailed(fields={"publication": [_("Not a valid choice.")]})
    if problem.is_known_error:
        emptied = [f for f in ("root_cause", "workaround") if f in data and not data[f].strip()]
        if emptied:
            message = _("A known error keeps its root cause and workaround.")
            raise ValidationFailed(fields={f: [message] for f in emptied})
    affected = data.pop("affected_services", None)
    problem = core.ticket_update(
        ticket=problem,
        by=by,
        data=data,
        expected_version=expected_version,
        editable=EDITABLE_FIELDS,
    )
    if affected is not None:
        old = sorted(problem.affected_services.values_list("pk", flat=True))
        new = sorted(s.pk for s in affected)
        if old != new:
            problem.affected_services.set(affected)
            core.audit_record(
                ticket=problem,
                actor=by,
                action=AuditAction.CHANGED,
                changes={"affected_services": {"from": old, "to": new}},
            )
    return problem


@transaction.atomic
def problem_assign(
    *,
    problem: Problem,
    by: User,
    group: Team | None,
    assignee: User | None,
    expected_version: int | None = None,
) -> Problem:
    """Route the problem to a team and, optionally, one of its agents."""
    if not permissions.can_work(problem, by):
        raise NotPermitted(_("You do not work on this problem."))
    return core.ticket_assign(
        ticket=problem, by=by, group=group, assignee=assignee, expected_version=expected_version
    )


# --- incidents ------------------------------------------------------------------------


@transaction.atomic
def problem_link_incidents(*, problem: Problem, by: User, incidents: Iterable[Incident]) -> Problem:
    """Link incidents to the problem (each incident's history records it)."""
    if not permissions.can_work(problem, by):
        raise NotPermitted(_("You do not work on this problem."))
    for incident in incidents:
        incident_services.incident_link_problem(incident=incident, by=by, problem=problem)
    return problem


@transaction.atomic
def problem_unlink_incident(*, problem: Problem, by: User, incident: Incident) -> Problem:
    """Detach an incident from the problem."""
    if not permissions.can_work(problem, by):
        raise NotPermitted(_("You do not work on this problem."))
    if not Incident.objects.filter(pk=incident.pk, related_problem=problem).exists():
        raise ValidationFailed(fields={"incident": [_("That incident is not linked here.")]})
    incident_services.incident_link_problem(incident=incident, by=by, problem=None)
    return problem


# --- transitions --------------------------------------------------------------------


@transaction.atomic
def problem_investigate(
    *, problem: Problem, by: User, expected_version: int | None = None
) -> Problem:
    """Start the investigation; the problem becomes the caller's if nobody has it."""
    problem = core.lock_ticket(problem)
    core.check_version(problem, expected_version)
    if not permissions.can_work(problem, by):
        raise NotPermitted(_("You do not work on this problem."))
    problem = core.ticket_take(ticket=problem, by=by)
    return core.ticket_transition(ticket=problem, by=by, name="investigate")


@transaction.atomic
def problem_mark_known_error(
    *,
    problem: Problem,
    by: User,
    root_cause: str,
    workaround: str,
    publication: str = Publication.INTERNAL,
    expected_version: int | None = None,
) -> Problem:
    """Record the root cause and the workaround; the known error is published."""
    require_text(root_cause=root_cause, workaround=workaround)
    if publication not in Publication.values:
        raise ValidationFailed(fields={"publication": [_("Not a valid choice.")]})
    return core.ticket_transition(
        ticket=problem,
        by=by,
        name="mark_known_error",
        expected_version=expected_version,
        note=workaround.strip(),
        root_cause=root_cause.strip(),
        workaround=workaround.strip(),
        publication=publication,
    )


@transaction.atomic
def problem_resolve(
    *,
    problem: Problem,
    by: User,
    resolution_notes: str,
    resolve_incidents: bool = False,
    expected_version: int | None = None,
) -> Problem:
    """Resolve the problem; optionally resolve every open linked incident too, all or nothing.

    Each incident is resolved through its own service (its own audit event), as the
    caller; if any of them cannot be, nothing is resolved and the error names it.
    """
    require_text(resolution_notes=resolution_notes)
    problem = core.ticket_transition(
        ticket=problem,
        by=by,
        name="resolve",
        expected_version=expected_version,
        note=resolution_notes.strip(),
        notes=resolution_notes.strip(),
    )
    if resolve_incidents:
        open_incidents = Incident.objects.filter(
            related_problem=problem,
            status__in=[IncidentStatus.NEW, IncidentStatus.IN_PROGRESS, IncidentStatus.ON_HOLD],
        ).order_by("pk")
        notes = _("Resolved with problem %(number)s: %(notes)s") % {
            "number": problem.number,
            "notes": resolution_notes.strip(),
        }
        for incident in open_incidents:
            try:
                if incident.status == IncidentStatus.NEW:
                    incident = incident_services.incident_start(incident=incident, by=by)
                incident_services.incident_resolve(
                    incident=incident,
                    by=by,
                    resolution_code=ResolutionCode.SOLVED,
                    resolution_notes=notes,
                )
            except ApplicationError as exc:
                raise type(exc)(
                    _("%(number)s could not be resolved: %(reason)s")
                    % {"number": incident.number, "reason": exc.message},
                    fields={"resolve_incidents": [f"{incident.number}: {exc.message}"]},
                ) from exc
    return problem


@transaction.atomic
def problem_close(*, problem: Problem, by: User, expected_version: int | None = None) -> Problem:
    """Close a resolved problem."""
    return core.ticket_transition(
        ticket=problem, by=by, name="close", expected_version=expected_version
    )


@transaction.atomic
def problem_cancel(
    *, problem: Problem, by: User, reason: str, expected_version: int | None = None
) -> Problem:
    """Cancel a problem that is not one."""
    require_text(reason=reason)
    return core.ticket_transition(
        ticket=problem, by=by, name="cancel", expected_version=expected_version, note=reason.strip()
    )


TRANSITION_SERVICES = {
    "investigate": problem_investigate,
    "mark_known_error": problem_mark_known_error,
    "resolve": problem_resolve,
    "close": problem_close,
    "cancel": problem_cancel,
}
