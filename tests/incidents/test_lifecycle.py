"""Every incident transition, allowed and refused, through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from servicedesk.core.choices import AuditAction
from servicedesk.core.errors import (
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)
from servicedesk.core.models import AuditEvent
from tests.factories import make_incident
from tests.incidents.factories import incident_in

STATES = ["new", "in_progress", "on_hold", "resolved", "closed", "cancelled"]

# transition → the states it may start from, and where it leads.
EDGES = {
    "start": ({"new"}, "in_progress"),
    "hold": ({"in_progress"}, "on_hold"),
    "resume": ({"on_hold"}, "in_progress"),
    "resolve": ({"in_progress", "on_hold"}, "resolved"),
    "reopen": ({"resolved"}, "in_progress"),
    "close": ({"resolved"}, "closed"),
    "cancel": ({"new", "in_progress", "on_hold"}, "cancelled"),
}
ARGUMENTS = {
    "hold": {"reason": "awaiting_caller"},
    "resolve": {"resolution_code": "workaround", "resolution_notes": "Restarted the spooler"},
    "reopen": {"reason": "Still jammed"},
    "cancel": {"reason": "Duplicate of another call"},
}


def run(name, incident, by, **extra):
    return services.TRANSITION_SERVICES[name](
        incident=incident, by=by, **ARGUMENTS.get(name, {}), **extra
    )


@pytest.fixture
def incident(team, end_user):
    return make_incident(requester=end_user, assignment_group=team)


@pytest.mark.parametrize(("name", "state"), [(name, state) for name in EDGES for state in STATES])
def test_transition_table(name, state, incident, agent):
    incident = incident_in(state, incident=incident, agent=agent)
    sources, target = EDGES[name]
    before = AuditEvent.objects.filter(ticket_id=incident.pk).count()
    if state in sources:
        result = run(name, incident, agent)
        assert result.status == target
        event = AuditEvent.objects.filter(ticket_id=incident.pk).last()
        assert (event.action, event.transition, event.from_status, event.to_status) == (
            AuditAction.TRANSITION,
            name,
            state,
            target,
        )
        assert event.actor == agent
    else:
        with pytest.raises(TransitionNotAllowed):
            run(name, incident, agent)
        refreshed = Incident.objects.get(pk=incident.pk)
        assert refreshed.status == state
        assert AuditEvent.objects.filter(ticket_id=incident.pk).count() == before


def test_start_takes_the_incident_for_the_agent(incident, agent):
    started = services.incident_start(incident=incident, by=agent)
    assert (started.status, started.assignee, started.assignment_group.name) == (
        "in_progress",
        agent,
        "Service Desk",
    )
    actions = list(
        AuditEvent.objects.filter(ticket_id=incident.pk).values_list("action", flat=True)
    )
    assert actions == [AuditAction.CREATED, AuditAction.ASSIGNED, AuditAction.TRANSITION]


def test_start_routes_an_unrouted_incident_to_the_agents_team(agent, end_user):
    incident = make_incident(requester=end_user)
    started = services.incident_start(incident=incident, by=agent)
    assert (started.assignment_group.name, started.assignee) == ("Service Desk", agent)


def test_start_keeps_an_existing_assignee(incident, agent, lead, team):
    services.incident_assign(incident=incident, by=lead, group=team, assignee=lead)
    started = services.incident_start(incident=incident, by=agent)
    assert started.assignee == lead


def test_hold_records_its_reason_and_resume_clears_it(incident, agent):
    held = incident_in("on_hold", incident=incident, agent=agent)
    assert held.on_hold_reason == "awaiting_vendor"
    event = AuditEvent.objects.filter(ticket_id=incident.pk).last()
    assert event.note == "Awaiting vendor"
    resumed = services.incident_resume(incident=held, by=agent)
    assert (resumed.status, resumed.on_hold_reason) == ("in_progress", "")


@pytest.mark.parametrize(
    ("name", "arguments", "fields"),
    [
        ("hold", {"reason": ""}, {"reason"}),
        ("hold", {"reason": "lunch"}, {"reason"}),
        (
            "resolve",
            {"resolution_code": "", "resolution_notes": " "},
            {"resolution_code", "resolution_notes"},
        ),
        ("resolve", {"resolution_code": "magic", "resolution_notes": "x"}, {"resolution_code"}),
    ],
)
def test_missing_or_bad_fields_are_refused_by_name(incident, agent, name, arguments, fields):
    started = services.incident_start(incident=incident, by=agent)
    with pytest.raises(ValidationFailed) as exc:
        services.TRANSITION_SERVICES[name](incident=started, by=agent, **arguments)
    assert set(exc.value.fields) == fields
    assert Incident.objects.get(pk=incident.pk).status == "in_progress"


@pytest.mark.parametrize("name", ["reopen", "cancel"])
def test_reopen_and_cancel_need_a_reason(incident, agent, name):
    state = "resolved" if name == "reopen" else "in_progress"
    incident = incident_in(state, incident=incident, agent=agent)
    with pytest.raises(ValidationFailed) as exc:
        services.TRANSITION_SERVICES[name](incident=incident, by=agent, reason="  ")
    assert list(exc.value.fields) == ["reason"]


def test_resolution_is_recorded_and_reopening_counts(incident, agent, end_user):
    resolved = incident_in("resolved", incident=incident, agent=agent)
    assert (resolved.resolution_code, resolved.resolution_notes) == ("solved", "Replaced toner")
    assert resolved.resolved_at is not None
    reopened = services.incident_reopen(incident=resolved, by=end_user, reason="Jammed again")
    assert (reopened.status, reopened.reopen_count, reopened.resolved_at) == (
        "in_progress",
        1,
        None,
    )
    assert AuditEvent.objects.filter(ticket_id=incident.pk).last().note == "Jammed again"


def test_the_requester_cannot_reopen_after_the_window(incident, agent, end_user, settings):
    settings.INCIDENT_REOPEN_WINDOW_HOURS = 24
    resolved = incident_in("resolved", incident=incident, agent=agent)
    Incident.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now() - timedelta(hours=25))
    resolved.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        services.incident_reopen(incident=resolved, by=end_user, reason="Jammed again")
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


def test_the_requester_confirms_a_resolution(incident, agent, end_user):
    resolved = incident_in("resolved", incident=incident, agent=agent)
    closed = services.incident_close(incident=resolved, by=end_user)
    assert closed.status == "closed"
    assert closed.closed_at is not None


# --- permissions ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["start", "hold", "resume", "resolve"])
def test_only_agents_who_work_the_incident_run_work_transitions(
    incident, agent, other_agent, end_user, name
):
    state = {"start": "new", "hold": "in_progress", "resume": "on_hold", "resolve": "in_progress"}[
        name
    ]
    incident = incident_in(state, incident=incident, agent=agent)
    for outsider in (other_agent, end_user):
        with pytest.raises(NotPermitted):
            run(name, incident, outsider)
    assert Incident.objects.get(pk=incident.pk).status == state


@pytest.mark.parametrize("name", ["reopen", "close"])
def test_other_end_users_cannot_reopen_or_close(incident, agent, other_end_user, name):
    resolved = incident_in("resolved", incident=incident, agent=agent)
    with pytest.raises(NotPermitted):
        run(name, resolved, other_end_user)


def test_a_requester_may_withdraw_only_an_incident_nobody_started(team, agent, end_user):
    fresh = make_incident(requester=end_user, assignment_group=team)
    assert (
        services.incident_cancel(incident=fresh, by=end_user, reason="Fixed itself").status
        == "cancelled"
    )
    started = incident_in(
        "in_progress",
        incident=make_incident(requester=end_user, assignment_group=team),
        agent=agent,
    )
    with pytest.raises(NotPermitted):
        services.incident_cancel(incident=started, by=end_user, reason="Fixed itself")


def test_a_stale_version_refuses_the_transition(incident, agent):
    started = services.incident_start(incident=incident, by=agent)
    with pytest.raises(StaleVersion):
        services.incident_hold(
            incident=started, by=agent, reason="awaiting_caller", expected_version=1
        )
    assert Incident.objects.get(pk=incident.pk).status == "in_progress"


def test_the_system_closes_resolutions_past_the_window_once(team, agent, settings):
    settings.INCIDENT_REOPEN_WINDOW_HOURS = 48
    old = incident_in("resolved", incident=make_incident(assignment_group=team), agent=agent)
    recent = incident_in("resolved", incident=make_incident(assignment_group=team), agent=agent)
    working = incident_in("in_progress", incident=make_incident(assignment_group=team), agent=agent)
    Incident.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(hours=49))
    assert services.close_expired_resolutions() == [old.number]
    assert services.close_expired_resolutions() == []
    statuses = dict(Incident.objects.values_list("number", "status"))
    assert statuses == {
        old.number: "closed",
        recent.number: "resolved",
        working.number: "in_progress",
    }
    event = AuditEvent.objects.filter(ticket_id=old.pk).last()
    assert (event.actor, event.transition, event.note) == (
        None,
        "close",
        "Closed automatically: the reopen window ended.",
    )


def test_the_auto_close_task_runs_the_service(team, agent, settings):
    from incidents.tasks import close_expired_resolutions

    settings.INCIDENT_REOPEN_WINDOW_HOURS = 1
    old = incident_in("resolved", incident=make_incident(assignment_group=team), agent=agent)
    Incident.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(hours=2))
    assert close_expired_resolutions.delay().get() == [old.number]


def test_available_transitions_follow_state_and_user(incident, agent, end_user, other_end_user):
    from servicedesk.core.services import available_transitions

    assert sorted(available_transitions(incident, agent)) == ["cancel", "start"]
    assert available_transitions(incident, end_user) == ["cancel"]
    assert available_transitions(incident, other_end_user) == []
    resolved = incident_in("resolved", incident=incident, agent=agent)
    assert sorted(available_transitions(resolved, end_user)) == ["close", "reopen"]
    assert sorted(available_transitions(resolved, agent)) == ["close", "reopen"]
