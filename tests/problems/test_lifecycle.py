"""Every problem transition, the known-error rules and the all-or-nothing bulk resolve."""

import pytest

from incidents.models import Incident
from problems import services
from problems.models import Problem
from servicedesk.core.choices import AuditAction
from servicedesk.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from servicedesk.core.models import AuditEvent
from tests.factories import TeamFactory, make_admin, make_agent, make_incident
from tests.incidents.factories import incident_in

STATES = ["new", "under_investigation", "known_error", "resolved", "closed", "cancelled"]
EDGES = {
    "investigate": ({"new"}, "under_investigation"),
    "mark_known_error": ({"under_investigation"}, "known_error"),
    "resolve": ({"under_investigation", "known_error"}, "resolved"),
    "close": ({"resolved"}, "closed"),
    "cancel": ({"new", "under_investigation", "known_error"}, "cancelled"),
}
ARGUMENTS = {
    "mark_known_error": {"root_cause": "Driver leak", "workaround": "Restart the spooler"},
    "resolve": {"resolution_notes": "Driver updated"},
    "cancel": {"reason": "Duplicate"},
}


def run(name, problem, by, **extra):
    return services.TRANSITION_SERVICES[name](
        problem=problem, by=by, **{**ARGUMENTS.get(name, {}), **extra}
    )


def problem_in(state, problem, agent):
    path = {
        "new": [],
        "under_investigation": ["investigate"],
        "known_error": ["investigate", "mark_known_error"],
        "resolved": ["investigate", "resolve"],
        "closed": ["investigate", "resolve", "close"],
        "cancelled": ["cancel"],
    }[state]
    for name in path:
        problem = run(name, problem, agent)
    return problem


@pytest.fixture
def problem(team, agent):
    return services.problem_create(by=agent, title="Printers jam weekly", assignment_group=team)


@pytest.mark.parametrize(("name", "state"), [(n, s) for n in EDGES for s in STATES])
def test_transition_table(name, state, problem, agent):
    problem = problem_in(state, problem, agent)
    sources, target = EDGES[name]
    if state in sources:
        assert run(name, problem, agent).status == target
        event = AuditEvent.objects.filter(ticket_id=problem.pk).last()
        assert (event.transition, event.from_status, event.to_status) == (name, state, target)
    else:
        with pytest.raises(TransitionNotAllowed):
            run(name, problem, agent)
        assert Problem.objects.get(pk=problem.pk).status == state


def test_only_agents_open_problems(end_user):
    with pytest.raises(NotPermitted):
        services.problem_create(by=end_user, title="x")
    assert not Problem.objects.exists()


def test_creating_from_incidents_links_them(agent, team):
    incidents = [make_incident(assignment_group=team) for _ in range(2)]
    problem = services.problem_create(by=agent, title="Recurring", incidents=incidents)
    assert sorted(problem.incidents.values_list("pk", flat=True)) == sorted(i.pk for i in incidents)
    for incident in incidents:
        last = AuditEvent.objects.filter(ticket_id=incident.pk).last()
        assert last.changes == {"problem": {"from": None, "to": problem.pk}}


def test_a_known_error_needs_root_cause_and_workaround(problem, agent):
    problem = problem_in("under_investigation", problem, agent)
    with pytest.raises(ValidationFailed) as exc:
        services.problem_mark_known_error(problem=problem, by=agent, root_cause=" ", workaround="")
    assert set(exc.value.fields) == {"root_cause", "workaround"}
    known = services.problem_mark_known_error(
        problem=problem, by=agent, root_cause="Leak", workaround="Restart", publication="public"
    )
    assert (known.is_known_error, known.publication, known.workaround) == (
        True,
        "public",
        "Restart",
    )
    assert known.known_error_since is not None


def test_a_known_error_keeps_its_workaround(problem, agent):
    known = problem_in("known_error", problem, agent)
    with pytest.raises(ValidationFailed) as exc:
        services.problem_update(problem=known, by=agent, data={"workaround": "  "})
    assert list(exc.value.fields) == ["workaround"]
    changed = services.problem_update(problem=known, by=agent, data={"workaround": "Reboot"})
    assert changed.workaround == "Reboot"


def test_resolving_can_resolve_every_open_linked_incident(problem, agent, team):
    new = make_incident(assignment_group=team)
    working = incident_in("in_progress", incident=make_incident(assignment_group=team), agent=agent)
    held = incident_in("on_hold", incident=make_incident(assignment_group=team), agent=agent)
    done = incident_in("resolved", incident=make_incident(assignment_group=team), agent=agent)
    services.problem_link_incidents(problem=problem, by=agent, incidents=[new, working, held, done])
    problem = problem_in("under_investigation", problem, agent)
    services.problem_resolve(
        problem=problem, by=agent, resolution_notes="Driver updated", resolve_incidents=True
    )
    statuses = dict(Incident.objects.values_list("pk", "status"))
    assert statuses == {
        new.pk: "resolved",
        working.pk: "resolved",
        held.pk: "resolved",
        done.pk: "resolved",
    }
    resolved_events = AuditEvent.objects.filter(
        action=AuditAction.TRANSITION,
        transition="resolve",
        ticket_id__in=[new.pk, working.pk, held.pk],
    )
    assert resolved_events.count() == 3
    assert {e.note for e in resolved_events} == {
        f"Resolved with problem {problem.number}: Driver updated"
    }


def test_the_bulk_resolve_is_all_or_nothing(problem, agent, team):
    mine = incident_in("in_progress", incident=make_incident(assignment_group=team), agent=agent)
    elsewhere_team = TeamFactory(name="Elsewhere")
    elsewhere_agent = make_agent(elsewhere_team)
    theirs = incident_in(
        "in_progress",
        incident=make_incident(assignment_group=elsewhere_team),
        agent=elsewhere_agent,
    )
    services.problem_link_incidents(problem=problem, by=agent, incidents=[mine])
    Incident.objects.filter(pk=theirs.pk).update(related_problem=problem)
    problem = problem_in("under_investigation", problem, agent)
    with pytest.raises(NotPermitted) as exc:
        services.problem_resolve(
            problem=problem, by=agent, resolution_notes="Fixed", resolve_incidents=True
        )
    assert exc.value.fields == {
        "resolve_incidents": [f"{theirs.number}: You may not run “resolve” on this ticket."]
    }
    assert Problem.objects.get(pk=problem.pk).status == "under_investigation"
    assert dict(Incident.objects.values_list("pk", "status")) == {
        mine.pk: "in_progress",
        theirs.pk: "in_progress",
    }


def test_resolving_without_the_option_leaves_incidents_alone(problem, agent, team):
    incident = incident_in(
        "in_progress", incident=make_incident(assignment_group=team), agent=agent
    )
    services.problem_link_incidents(problem=problem, by=agent, incidents=[incident])
    services.problem_resolve(
        problem=problem_in("under_investigation", problem, agent),
        by=agent,
        resolution_notes="Fixed",
    )
    assert Incident.objects.get(pk=incident.pk).status == "in_progress"


def test_unlinking_an_incident(problem, agent, team):
    incident = make_incident(assignment_group=team)
    services.problem_link_incidents(problem=problem, by=agent, incidents=[incident])
    services.problem_unlink_incident(problem=problem, by=agent, incident=incident)
    assert not problem.incidents.exists()
    with pytest.raises(ValidationFailed):
        services.problem_unlink_incident(problem=problem, by=agent, incident=incident)


def test_agents_of_other_teams_cannot_work_the_problem(problem, other_agent):
    with pytest.raises(NotPermitted):
        run("investigate", problem, other_agent)
    with pytest.raises(NotPermitted):
        services.problem_update(problem=problem, by=other_agent, data={"title": "x"})


def test_an_admin_outside_the_team_investigates_without_taking_the_problem(problem, team):
    admin = make_admin(username="root")
    problem = services.problem_investigate(problem=problem, by=admin)
    assert (problem.status, problem.assignee_id, problem.assignment_group) == (
        "under_investigation",
        None,
        team,
    )


def test_investigating_takes_an_unassigned_problem_for_a_team_member(problem, agent):
    problem = services.problem_investigate(problem=problem, by=agent)
    assert problem.assignee == agent
