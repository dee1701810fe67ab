"""Every change transition, allowed and refused, and what each one records."""

import pytest

from changes import services
from changes.models import Change
from servicedesk.core.choices import AuditAction
from servicedesk.core.errors import (
    NotPermitted,
    StaleVersion,
    TransitionNotAllowed,
    ValidationFailed,
)
from servicedesk.core.models import AuditEvent
from tests.changes.factories import (
    change_in,
    make_change_manager,
    make_template,
    ready_change,
    window,
)
from tests.factories import make_change

STATES = [
    "draft",
    "assessment",
    "authorization",
    "scheduled",
    "implementing",
    "review",
    "closed",
    "rejected",
    "cancelled",
]

# transition → the states it may start from (for a normal change awaiting its CAB), and where
# it leads. `schedule` is only for an approved change the system could not schedule.
EDGES = {
    "submit": ({"draft"}, "assessment"),
    "request_authorization": ({"assessment"}, "authorization"),
    "schedule": (set(), "scheduled"),
    "start": ({"scheduled"}, "implementing"),
    "complete": ({"implementing"}, "review"),
    "close": ({"review"}, "closed"),
    "cancel": ({"draft", "assessment", "authorization", "scheduled"}, "cancelled"),
}
ARGUMENTS = {
    "complete": {"outcome": "backed_out"},
    "close": {"review_notes": "Backed out cleanly; retry next month."},
    "cancel": {"reason": "Superseded by CHG0000009"},
}


def run(name, change, by, **extra):
    return services.TRANSITION_SERVICES[name](
        change=change, by=by, **ARGUMENTS.get(name, {}), **extra
    )


@pytest.fixture
def change(agent, team, board):
    return ready_change(by=agent, assignment_group=team)


@pytest.mark.parametrize(("name", "state"), [(name, state) for name in EDGES for state in STATES])
def test_transition_table(name, state, change, agent, manager):
    change = change_in(state, change=change, agent=agent, manager=manager)
    assert change.status == state
    sources, target = EDGES[name]
    before = AuditEvent.objects.filter(ticket_id=change.pk).count()
    if state in sources:
        result = run(name, change, agent)
        assert result.status == target
        event = AuditEvent.objects.filter(ticket_id=change.pk).last()
        assert (event.action, event.transition, event.from_status, event.to_status) == (
            AuditAction.TRANSITION,
            name,
            state,
            target,
        )
        assert event.actor == agent
    else:
        with pytest.raises(TransitionNotAllowed):
            run(name, change, agent)
        assert Change.objects.get(pk=change.pk).status == state
        assert AuditEvent.objects.filter(ticket_id=change.pk).count() == before


def test_a_standard_change_goes_from_draft_straight_to_scheduled(agent, team):
    template = make_template(assignment_group=team)
    start, _end = window()
    change = services.standard_change_create(template=template, by=agent, planned_start=start)
    assert (change.change_type, change.risk, change.planned_end - change.planned_start) == (
        "standard",
        "low",
        template.duration,
    )
    submitted = services.change_submit(change=change, by=agent)
    assert submitted.status == "scheduled"
    assert submitted.cab_decision == "pending"  # no CAB involved
    assert not submitted.votes.exists()


def test_submission_names_everything_that_is_missing(agent, team):
    draft = services.change_create(by=agent, title="Move the file server", assignment_group=team)
    with pytest.raises(ValidationFailed) as exc:
        services.change_submit(change=draft, by=agent)
    assert set(exc.value.fields) == {
        "implementation_plan",
        "backout_plan",
        "test_plan",
        "risk",
        "planned_start",
        "planned_end",
    }
    assert Change.objects.get(pk=draft.pk).status == "draft"


def test_a_window_in_the_past_cannot_be_submitted(agent, team):
    start, end = window(days=-1)
    change = ready_change(by=agent, assignment_group=team, planned_start=start, planned_end=end)
    with pytest.raises(ValidationFailed) as exc:
        services.change_submit(change=change, by=agent)
    assert exc.value.fields == {"planned_start": ["The window must start in the future."]}


def test_a_window_must_end_after_it_starts(agent):
    start, end = window()
    with pytest.raises(ValidationFailed) as exc:
        ready_change(by=agent, planned_start=end, planned_end=start)
    assert list(exc.value.fields) == ["planned_end"]


def test_a_disallowed_transition_is_refused_before_its_fields_are_checked(agent, team, board):
    change = change_in(
        "assessment", change=ready_change(by=agent, assignment_group=team), agent=agent
    )
    with pytest.raises(TransitionNotAllowed):
        services.change_complete(change=change, by=agent, outcome="")


@pytest.mark.parametrize(
    ("name", "arguments", "fields"),
    [
        ("complete", {"outcome": ""}, {"outcome"}),
        ("complete", {"outcome": "meh"}, {"outcome"}),
        ("close", {"review_notes": "  "}, {"review_notes"}),
        ("cancel", {"reason": ""}, {"reason"}),
    ],
)
def test_missing_or_bad_fields_are_refused_by_name(change, agent, name, arguments, fields):
    state = {"complete": "implementing", "close": "review", "cancel": "draft"}[name]
    change = change_in(state, change=change, agent=agent)
    with pytest.raises(ValidationFailed) as exc:
        services.TRANSITION_SERVICES[name](change=change, by=agent, **arguments)
    assert set(exc.value.fields) == fields
    assert Change.objects.get(pk=change.pk).status == state


def test_start_complete_and_close_record_times_outcome_and_review(change, agent):
    started = change_in("implementing", change=change, agent=agent)
    assert started.actual_start is not None
    assert started.actual_end is None
    completed = services.change_complete(change=started, by=agent, outcome="failed")
    assert (completed.outcome, completed.actual_end is not None) == ("failed", True)
    closed = services.change_close(change=completed, by=agent, review_notes="Vendor bug.")
    assert (closed.review_notes, closed.closed_at is not None) == ("Vendor bug.", True)
    event = AuditEvent.objects.filter(ticket_id=change.pk, transition="complete").get()
    assert (event.note, event.changes) == ("Failed", {"outcome": {"from": None, "to": "failed"}})


# --- who may ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["submit", "cancel"])
def test_agents_of_other_teams_and_end_users_cannot_move_it(change, other_agent, end_user, name):
    for outsider in (other_agent, end_user):
        with pytest.raises(NotPermitted):
            run(name, change, outsider)
    assert Change.objects.get(pk=change.pk).status == "draft"


def test_a_change_manager_moves_any_change(change, other_team):
    manager = make_change_manager(other_team, username="cmgr")
    assert services.change_submit(change=change, by=manager).status == "assessment"


def test_a_stale_version_refuses_the_transition(change, agent):
    with pytest.raises(StaleVersion):
        services.change_submit(change=change, by=agent, expected_version=change.version + 1)
    assert Change.objects.get(pk=change.pk).status == "draft"


def test_available_transitions_follow_state_and_user(change, agent, other_agent, manager):
    assert sorted(services.available_transitions(change, agent)) == ["cancel", "submit"]
    assert services.available_transitions(change, other_agent) == []
    assert sorted(services.available_transitions(change, manager)) == ["cancel", "submit"]
    waiting = change_in("authorization", change=change, agent=agent)
    # Only the quorum rule schedules or rejects a change awaiting its board.
    assert services.available_transitions(waiting, agent) == ["cancel"]


# --- raising and editing ---------------------------------------------------------------


def test_the_risk_questionnaire_computes_the_risk(agent):
    answers = {
        "affects_critical_service": True,
        "causes_outage": True,
        "hard_to_back_out": False,
        "not_tested": False,
        "first_of_its_kind": False,
        "several_teams": False,
    }
    change = services.change_create(
        by=agent, title="Patch the mail server", risk_assessment=answers
    )
    assert (change.risk, change.risk_reason, change.risk_assessment) == ("high", "", answers)
    answers |= {"affects_critical_service": False, "causes_outage": False}
    edited = services.change_update(change=change, by=agent, data={"risk_assessment": answers})
    assert edited.risk == "low"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"risk": "high"}, {"risk_reason"}),
        ({"risk": "extreme", "risk_reason": "x"}, {"risk"}),
        (
            {"risk": "high", "risk_reason": "x", "risk_assessment": {"not_tested": True}},
            {"risk", "risk_assessment"},
        ),
        ({"risk_assessment": {"not_tested": True}}, {"risk_assessment"}),
        ({"change_type": "standard"}, {"change_type"}),
    ],
)
def test_bad_risk_or_type_is_refused(agent, fields, errors):
    with pytest.raises(ValidationFailed) as exc:
        services.change_create(by=agent, title="Patch", **fields)
    assert set(exc.value.fields) == errors
    assert not Change.objects.exists()


def test_end_users_cannot_raise_changes(end_user):
    with pytest.raises(NotPermitted):
        services.change_create(by=end_user, title="Let me change things")


def test_content_is_frozen_once_the_board_votes(change, agent, team):
    waiting = change_in("authorization", change=change, agent=agent)
    with pytest.raises(ValidationFailed) as exc:
        services.change_update(change=waiting, by=agent, data={"backout_plan": "None."})
    assert list(exc.value.fields) == ["backout_plan"]
    # Unchanged values and the core's fields are fine.
    edited = services.change_update(
        change=waiting, by=agent, data={"backout_plan": waiting.backout_plan, "title": "Firmware"}
    )
    assert edited.title == "Firmware"


def test_affected_services_are_edited_with_their_audit(agent, team):
    from tests.factories import ServiceFactory

    vpn, mail = ServiceFactory(name="VPN"), ServiceFactory(name="Email")
    change = ready_change(by=agent, assignment_group=team, services=[vpn])
    edited = services.change_update(change=change, by=agent, data={"services": [vpn, mail]})
    assert sorted(edited.services.values_list("name", flat=True)) == ["Email", "VPN"]
    event = AuditEvent.objects.filter(ticket_id=change.pk).last()
    assert event.changes == {"services": {"from": [vpn.pk], "to": sorted([vpn.pk, mail.pk])}}
    assert edited.version == 2


def test_a_change_made_by_the_core_factory_is_a_normal_draft(db):
    change = make_change()
    assert (change.status, change.change_type, change.risk) == ("draft", "normal", "")
