"""The SLA clock: due times from policies, response, pauses, resolution, and the sweep."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from servicedesk.core import services, sla
from servicedesk.core.choices import (
    AuditAction,
    EscalationAction,
    Practice,
    SLAState,
    SLATarget,
)
from servicedesk.core.models import AuditEvent, Ticket, User
from tests.factories import (
    ServiceFactory,
    make_agent,
    make_calendar,
    make_change,
    make_incident,
    make_request,
    make_sla_policy,
)

H = timedelta(hours=1)
NOTIFY_ASSIGNEE = EscalationAction.NOTIFY_ASSIGNEE
NOTIFY_LEAD = EscalationAction.NOTIFY_TEAM_LEAD
RESPONSE, RESOLUTION = SLATarget.RESPONSE, SLATarget.RESOLUTION


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant in the week of Monday 1 June 2026 (day 1 is that Monday), in UTC."""
    return datetime(2026, 6, day, hour, minute, second, tzinfo=UTC)


class Clock:
    """What django.utils.timezone.now() answers during a test."""

    def __init__(self) -> None:
        self.now = utc(1, 10)

    def set(self, *args: int) -> datetime:
        self.now = utc(*args)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def office(db):
    """Monday to Friday, 09:00–17:00 UTC."""
    return make_calendar()


@pytest.fixture
def policy(office):
    """Incidents P3: respond within an hour, resolve within a working day."""
    return make_sla_policy(calendar=office, priority=3, response_minutes=60, resolution_minutes=480)


def reload(ticket: Ticket) -> Ticket:
    return type(ticket).objects.get(pk=ticket.pk)


def sla_fields(ticket: Ticket) -> dict:
    ticket = reload(ticket)
    return {
        "sla_state": ticket.sla_state,
        "response_due_at": ticket.response_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "responded_at": ticket.responded_at,
        "sla_next_check_at": ticket.sla_next_check_at,
        "sla_paused_since": ticket.sla_paused_since,
        "sla_paused_total": ticket.sla_paused_total,
    }


def events(ticket: Ticket, *actions: str) -> list[tuple[str, str, dict]]:
    return [
        (e.action, e.note, e.changes)
        for e in AuditEvent.objects.filter(ticket_id=ticket.pk, action__in=actions)
    ]


# --- due times -------------------------------------------------------------------------------


def test_a_new_ticket_gets_due_times_in_business_time_and_its_first_check(clock, policy):
    incident = make_incident()  # Monday 10:00

    assert reload(incident).sla_policy == policy
    assert reload(incident).sla_started_at == utc(1, 10)
    assert sla_fields(incident) == {
        "sla_state": SLAState.IN_PROGRESS,
        "response_due_at": utc(1, 11),
        # 7 hours on Monday, the eighth on Tuesday morning.
        "resolution_due_at": utc(2, 10),
        # 75 % of the response time.
        "responded_at": None,
        "sla_next_check_at": utc(1, 10, 45),
        "sla_paused_since": None,
        "sla_paused_total": timedelta(0),
    }


def test_the_checkpoints_of_each_target_follow_the_warning_thresholds(clock, policy):
    incident = make_incident()
    points = sla.checkpoints(reload(incident), policy, sla.calendar_snapshot(policy.calendar))
    assert [(p.target, p.level, p.at) for p in points] == [
        (RESPONSE, 75, utc(1, 10, 45)),
        (RESPONSE, 90, utc(1, 10, 54)),
        (RESPONSE, 100, utc(1, 11)),
        (RESOLUTION, 75, utc(1, 16)),
        (RESOLUTION, 90, utc(2, 9, 12)),
        (RESOLUTION, 100, utc(2, 10)),
    ]


def test_a_policy_for_the_service_wins_over_one_for_any_service(clock, office, policy):
    email = ServiceFactory(name="Email")
    make_sla_policy(calendar=office, service=email, resolution_minutes=120, name="Email P3")
    make_sla_policy(
        calendar=office, service=email, resolution_minutes=60, name="Old", is_active=False
    )

    assert reload(make_incident(service=email)).resolution_due_at == utc(1, 12)
    assert reload(make_incident()).resolution_due_at == utc(2, 10)
    assert reload(make_incident(service=ServiceFactory(name="VPN"))).sla_policy == policy


def test_without_a_matching_policy_a_ticket_has_no_due_times_and_no_checks(clock, policy):
    incident = make_incident(impact=3, urgency=3)  # P5: no policy
    assert reload(incident).sla_policy is None
    assert sla_fields(incident) == {
        "sla_state": SLAState.IN_PROGRESS,
        "response_due_at": None,
        "resolution_due_at": None,
        "responded_at": None,
        "sla_next_check_at": None,
        "sla_paused_since": None,
        "sla_paused_total": timedelta(0),
    }


def test_policies_match_by_practice(clock, office, policy):
    make_sla_policy(calendar=office, practice=Practice.CHANGE, resolution_minutes=60)
    assert reload(make_change()).resolution_due_at == utc(1, 11)
    assert reload(make_request()).sla_policy is None


def test_a_new_priority_recomputes_the_due_times_from_the_start(clock, office, policy, lead):
    make_sla_policy(calendar=office, priority=1, response_minutes=15, resolution_minutes=120)
    incident = make_incident()
    clock.set(1, 10, 5)

    incident = services.ticket_update(ticket=incident, by=lead, data={"impact": 1, "urgency": 1})

    assert reload(incident).priority == 1
    assert sla_fields(incident) | {"policy": reload(incident).sla_policy.priority} == {
        "policy": 1,
        "sla_state": SLAState.IN_PROGRESS,
        "response_due_at": utc(1, 10, 15),
        "resolution_due_at": utc(1, 12),
        "responded_at": None,
        "sla_next_check_at": utc(1, 10, 11, 15),
        "sla_paused_since": None,
        "sla_paused_total": timedelta(0),
    }


def test_overriding_the_priority_and_clearing_the_override_recompute_too(
    clock, office, policy, lead
):
    make_sla_policy(calendar=office, priority=2, resolution_minutes=240)
    incident = make_incident()

    incident = services.ticket_override_priority(ticket=incident, by=lead, priority=2, reason="VIP")
    assert reload(incident).resolution_due_at == utc(1, 14)

    incident = services.ticket_clear_priority_override(ticket=incident, by=lead)
    assert reload(incident).resolution_due_at == utc(2, 10)


def test_a_priority_without_a_policy_keeps_the_targets_the_ticket_had(clock, policy, lead):
    incident = make_incident()
    incident = services.ticket_update(ticket=incident, by=lead, data={"impact": 3})
    assert reload(incident).priority == 4
    assert reload(incident).sla_policy == policy
    assert reload(incident).resolution_due_at == utc(2, 10)


def test_a_late_priority_change_can_breach_at_once(clock, office, policy, lead):
    make_sla_policy(calendar=office, priority=1, response_minutes=15, resolution_minutes=120)
    incident = make_incident()
    clock.set(1, 12, 30)
    services.ticket_update(ticket=incident, by=lead, data={"impact": 1, "urgency": 1})
    assert reload(incident).sla_state == SLAState.BREACHED


# --- response ----------------------------------------------------------------------------------


def test_an_agents_first_public_reply_is_the_response(clock, policy, agent):
    incident = make_incident()
    clock.set(1, 10, 30)

    services.comment_add(ticket=incident, by=agent, body="On it.")
    clock.set(1, 10, 40)
    services.comment_add(ticket=incident, by=agent, body="Still on it.")

    fields = sla_fields(incident)
    assert fields["responded_at"] == utc(1, 10, 30)
    assert fields["response_due_at"] == utc(1, 11)
    assert fields["sla_state"] == SLAState.IN_PROGRESS
    # Only the resolution target is left: its 75 %.
    assert fields["sla_next_check_at"] == utc(1, 16)


def test_a_late_first_reply_breaches_the_response_target(clock, policy, agent):
    incident = make_incident()
    clock.set(1, 11)
    services.comment_add(ticket=incident, by=agent, body="Sorry for the wait.")
    assert sla_fields(incident)["sla_state"] == SLAState.BREACHED
    assert sla_fields(incident)["sla_next_check_at"] == utc(1, 16)


def test_internal_notes_and_the_requesters_replies_are_no_response(clock, policy, agent):
    incident = make_incident()
    clock.set(1, 10, 30)
    services.comment_add(ticket=incident, by=agent, body="Looks like DNS.", internal=True)
    services.comment_add(ticket=incident, by=incident.requester, body="Any news?")
    assert sla_fields(incident)["responded_at"] is None
    assert sla_fields(incident)["sla_next_check_at"] == utc(1, 10, 45)


def test_an_agent_taking_the_ticket_out_of_its_first_status_acknowledges_it(clock, policy, agent):
    incident = make_incident()
    clock.set(1, 10, 20)
    services.ticket_transition(ticket=incident, by=agent, name="start")
    assert sla_fields(incident)["responded_at"] == utc(1, 10, 20)
    assert sla_fields(incident)["sla_next_check_at"] == utc(1, 16)


def test_the_requester_cancelling_is_no_acknowledgement(clock, policy):
    incident = make_incident()
    clock.set(1, 10, 20)
    services.ticket_transition(ticket=incident, by=incident.requester, name="cancel")
    assert sla_fields(incident)["responded_at"] is None


# --- pauses ------------------------------------------------------------------------------------


def hold(incident, by):
    return services.ticket_transition(ticket=incident, by=by, name="hold", reason="caller")


def test_on_hold_pauses_the_clock_and_resuming_shifts_the_due_times(clock, policy, agent):
    incident = make_incident()
    clock.set(1, 10, 10)
    services.ticket_transition(ticket=incident, by=agent, name="start")
    clock.set(1, 12)
    incident = hold(incident, agent)

    paused = sla_fields(incident)
    assert paused["sla_state"] == SLAState.PAUSED
    assert paused["sla_paused_since"] == utc(1, 12)
    assert paused["sla_next_check_at"] is None
    assert paused["resolution_due_at"] == utc(2, 10)

    clock.set(2, 10)  # 5 working hours on Monday afternoon, 1 on Tuesday morning
    incident = services.ticket_transition(ticket=incident, by=agent, name="resume")

    assert sla_fields(incident) == {
        "sla_state": SLAState.IN_PROGRESS,
        "response_due_at": utc(1, 11),
        "resolution_due_at": utc(2, 16),
        "responded_at": utc(1, 10, 10),
        # 75 % of 8 hours, plus the 6 paused: 12 hours from Monday 10:00.
        "sla_next_check_at": utc(2, 14),
        "sla_paused_since": None,
        "sla_paused_total": 6 * H,
    }


def test_pauses_add_up_and_a_pause_outside_working_hours_costs_nothing(clock, policy, agent):
    incident = make_incident()
    services.ticket_transition(ticket=incident, by=agent, name="start")
    clock.set(1, 12)
    incident = hold(incident, agent)
    clock.set(2, 10)
    incident = services.ticket_transition(ticket=incident, by=agent, name="resume")
    clock.set(2, 15)
    incident = hold(incident, agent)
    clock.set(3, 9, 30)  # Tuesday 15:00–17:00 and Wednesday 09:00–09:30
    incident = services.ticket_transition(ticket=incident, by=agent, name="resume")
    assert sla_fields(incident)["sla_paused_total"] == timedelta(hours=8, minutes=30)
    assert sla_fields(incident)["resolution_due_at"] == utc(3, 10, 30)

    clock.set(3, 17, 30)
    incident = hold(incident, agent)
    clock.set(4, 8)  # the whole pause fell in the night
    incident = services.ticket_transition(ticket=incident, by=agent, name="resume")
    assert sla_fields(incident)["sla_paused_total"] == timedelta(hours=8, minutes=30)
    assert sla_fields(incident)["resolution_due_at"] == utc(3, 10, 30)


def test_a_service_request_awaiting_approval_pauses_its_clock(clock, office):
    make_sla_policy(calendar=office, practice=Practice.REQUEST, resolution_minutes=960)
    request = make_request()  # submitted on Monday 10:00; due Wednesday 10:00

    sla.sla_status_changed(
        request, from_status="submitted", to_status="awaiting_approval", at=utc(1, 10, 30)
    )
    assert (request.sla_state, request.sla_paused_since) == (SLAState.PAUSED, utc(1, 10, 30))
    assert request.sla_next_check_at is None

    sla.sla_status_changed(
        request, from_status="awaiting_approval", to_status="approved", at=utc(2, 10, 30)
    )
    assert request.sla_paused_total == 8 * H
    assert (request.response_due_at, request.resolution_due_at) == (utc(2, 11), utc(4, 10))
    assert request.sla_state == SLAState.IN_PROGRESS
    assert request.sla_next_check_at == utc(2, 10, 45)

    sla.sla_status_changed(
        request, from_status="fulfilling", to_status="fulfilled", at=utc(2, 10, 40)
    )
    assert (request.sla_state, request.sla_next_check_at) == (SLAState.MET, None)
    assert request.responded_at == utc(2, 10, 40)


def test_a_ticket_paused_when_its_response_fell_due_breaches_when_it_resumes(clock, office):
    make_sla_policy(calendar=office, practice=Practice.REQUEST)
    request = make_request()
    sla.sla_status_changed(
        request, from_status="submitted", to_status="awaiting_approval", at=utc(1, 11)
    )
    assert request.sla_state == SLAState.PAUSED
    sla.sla_status_changed(
        request, from_status="awaiting_approval", to_status="approved", at=utc(2, 11)
    )
    assert request.sla_state == SLAState.BREACHED


def test_which_statuses_pause_resolve_or_stop_the_clock_is_data_per_practice():
    assert {
        practice: (clock.initial, sorted(clock.pauses), sorted(clock.resolved), sorted(clock.stops))
        for practice, clock in sla.CLOCKS.items()
    } == {
        "incident": ("new", ["on_hold"], ["closed", "resolved"], ["cancelled"]),
        "problem": ("new", [], ["closed", "resolved"], ["cancelled"]),
        "change": ("draft", [], ["closed", "review"], ["cancelled", "rejected"]),
        "request": (
            "submitted",
            ["awaiting_approval"],
            ["closed", "fulfilled"],
            ["cancelled", "rejected"],
        ),
    }


# --- resolution --------------------------------------------------------------------------------


def resolve(incident, by):
    return services.ticket_transition(
        ticket=incident, by=by, name="resolve", code="fixed", notes="Restarted the spooler."
    )


def test_resolving_in_time_meets_the_sla(clock, policy, agent):
    incident = make_incident()
    services.ticket_transition(ticket=incident, by=agent, name="start")
    clock.set(2, 9, 59)
    incident = resolve(incident, agent)
    fields = sla_fields(incident)
    assert (fields["sla_state"], fields["sla_next_check_at"]) == (SLAState.MET, None)
    assert fields["resolution_due_at"] == utc(2, 10)


def test_resolving_late_breaches_the_sla(clock, policy, agent):
    incident = make_incident()
    services.ticket_transition(ticket=incident, by=agent, name="start")
    clock.set(2, 10)
    assert sla_fields(resolve(incident, agent))["sla_state"] == SLAState.BREACHED


def test_resolving_from_on_hold_counts_when_the_clock_stopped(clock, policy, agent):
    incident = make_incident()
    services.ticket_transition(ticket=incident, by=agent, name="start")
    clock.set(1, 16)
    incident = hold(incident, agent)
    clock.set(5, 16)  # days after the due time, but the clock stood still since Monday
    assert sla_fields(resolve(incident, agent))["sla_state"] == SLAState.MET


def test_resolving_unanswered_counts_as_the_response(clock, policy):
    incident = make_incident()
    sla.sla_status_changed(
        incident, from_status="in_progress", to_status="resolved", at=utc(1, 10, 30)
    )
    assert (incident.responded_at, incident.sla_state) == (utc(1, 10, 30), SLAState.MET)


def test_reopening_counts_the_time_resolved_as_a_pause(clock, policy, agent):
    incident = make_incident()
    services.ticket_transition(ticket=incident, by=agent, name="start")
    clock.set(2, 9, 30)
    incident = resolve(incident, agent)
    clock.set(2, 11)
    incident = services.ticket_transition(ticket=incident, by=agent, name="reopen")

    fields = sla_fields(incident)
    assert fields["sla_paused_total"] == timedelta(hours=1, minutes=30)
    assert fields["resolution_due_at"] == utc(2, 11, 30)
    # 75 % and 90 % of the resolution time are behind it: at risk, checked at once.
    assert fields["sla_state"] == SLAState.AT_RISK
    assert fields["sla_next_check_at"] == utc(2, 9, 30)


def test_a_change_in_review_has_met_its_target(clock, office):
    make_sla_policy(calendar=office, practice=Practice.CHANGE, resolution_minutes=480)
    change = make_change()
    sla.sla_status_changed(
        change, from_status="implementing", to_status="review", at=utc(1, 10, 30)
    )
    assert (change.sla_state, change.sla_next_check_at) == (SLAState.MET, None)
    sla.sla_status_changed(change, from_status="review", to_status="closed", at=utc(5, 15))
    assert change.sla_state == SLAState.MET


@pytest.mark.parametrize(
    ("model_maker", "from_status", "to_status"),
    [
        (make_incident, "in_progress", "cancelled"),
        (make_change, "assessment", "rejected"),
        (make_request, "awaiting_approval", "rejected"),
        (make_request, "approved", "cancelled"),
    ],
)
def test_cancelled_and_rejected_tickets_stop_without_breach_or_met(
    clock, office, model_maker, from_status, to_status
):
    for practice in Practice.values:
        make_sla_policy(calendar=office, practice=practice, response_minutes=30)
    ticket = model_maker()
    ticket.sla_state = SLAState.AT_RISK
    sla.sla_status_changed(ticket, from_status=from_status, to_status=to_status, at=utc(5, 10))
    assert (ticket.sla_state, ticket.sla_next_check_at) == (SLAState.AT_RISK, None)
    assert ticket.resolution_due_at == utc(2, 10)


# --- the sweep ---------------------------------------------------------------------------------


@pytest.fixture
def escalating(office, team, other_team, agent, lead):
    """Notify the assignee at 75 % of the response time, the lead at its breach."""
    return make_sla_policy(
        calendar=office,
        rules=[
            (RESPONSE, 75, NOTIFY_ASSIGNEE),
            (RESPONSE, 100, NOTIFY_LEAD),
            (RESOLUTION, 90, EscalationAction.RAISE_PRIORITY),
            (RESOLUTION, 100, EscalationAction.REASSIGN, other_team),
        ],
    )


def test_the_sweep_fires_a_threshold_once_and_notifies_the_assignee(
    clock, escalating, team, agent, django_capture_on_commit_callbacks
):
    incident = make_incident(assignment_group=team, assignee=agent)
    assert sla.sla_sweep(now=utc(1, 10, 44, 59)) == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sla_sweep(now=utc(1, 10, 45)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sla_sweep(now=utc(1, 10, 50)) == 0

    assert events(incident, AuditAction.SLA, AuditAction.ESCALATED) == [
        (
            AuditAction.SLA,
            "75% of the response time used.",
            {
                "sla_response_warning_level": {"from": 0, "to": 75},
                "sla_state": {"from": "in_progress", "to": "at_risk"},
            },
        ),
        (
            AuditAction.ESCALATED,
            "75% of the response time used. Notify the assignee.",
            {
                "escalation": {
                    "from": None,
                    "to": {
                        "rule": escalating.escalation_rules.get(threshold=75).pk,
                        "target": "response",
                        "threshold": 75,
                    },
                },
                "notified": {"from": None, "to": [agent.pk]},
            },
        ),
    ]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (
            [agent.email],
            f"[{incident.number}] SLA escalation: "
            "75% of the response time used. Notify the assignee.",
        )
    ]
    fields = sla_fields(incident)
    assert (fields["sla_state"], fields["sla_next_check_at"]) == (
        SLAState.AT_RISK,
        utc(1, 10, 54),
    )
    assert reload(incident).sla_response_warning_level == 75
    assert AuditEvent.objects.filter(ticket_id=incident.pk, internal=True).count() == 2


def test_levels_due_together_fire_in_order_and_a_breach_notifies_the_lead(
    clock, escalating, team, agent, lead, django_capture_on_commit_callbacks
):
    incident = make_incident(assignment_group=team, assignee=agent)
    with django_capture_on_commit_callbacks(execute=True):
        assert sla.sla_sweep(now=utc(1, 11)) == 3

    assert [(a, note) for a, note, _c in events(incident, "sla", "escalated")] == [
        ("sla", "75% of the response time used."),
        ("escalated", "75% of the response time used. Notify the assignee."),
        ("sla", "90% of the response time used."),
        ("sla", "Response target breached."),
        ("escalated", "Response target breached. Notify the team lead."),
    ]
    assert [m.to for m in mail.outbox] == [[agent.email], [lead.email]]
    ticket = reload(incident)
    assert (ticket.sla_state, ticket.sla_response_warning_level) == (SLAState.BREACHED, 100)
    assert ticket.sla_next_check_at == utc(1, 16)


def test_escalations_raise_the_priority_then_reassign(
    clock, office, escalating, team, other_team, agent
):
    make_sla_policy(
        calendar=office,
        priority=2,
        response_minutes=30,
        resolution_minutes=600,
        rules=[(RESOLUTION, 100, EscalationAction.REASSIGN, other_team)],
    )
    incident = make_incident(assignment_group=team, assignee=agent)
    services.comment_add(ticket=incident, by=agent, body="Looking.")
    version = reload(incident).version

    assert sla.sla_sweep(now=utc(2, 9, 12)) == 2  # resolution 75 % and 90 %

    raised = reload(incident)
    assert (raised.priority, raised.sla_policy.priority) == (2, 2)
    assert raised.priority_override_reason == "90% of the resolution time used."
    assert raised.priority_overridden_at == utc(2, 9, 12)
    assert raised.version == version + 1
    # P2: ten working hours from Monday 10:00.
    assert raised.resolution_due_at == utc(2, 12)
    assert raised.sla_next_check_at == utc(2, 12)

    assert sla.sla_sweep(now=utc(2, 12)) == 1
    moved = reload(incident)
    assert (moved.assignment_group, moved.assignee) == (other_team, None)
    assert moved.sla_state == SLAState.BREACHED
    assert moved.sla_next_check_at is None
    assert events(incident, "escalated")[-1][2]["assignment_group"] == {
        "from": team.pk,
        "to": other_team.pk,
    }


def test_a_paused_or_resolved_ticket_is_not_swept(clock, escalating, agent):
    held = make_incident()
    services.ticket_transition(ticket=held, by=agent, name="start")
    hold(held, agent)
    done = make_incident()
    services.ticket_transition(ticket=done, by=agent, name="start")
    resolve(done, agent)
    assert sla.sla_sweep(now=utc(8, 10)) == 0
    assert events(held, "sla") == events(done, "sla") == []


def test_a_retried_check_fires_nothing_more(clock, escalating):
    incident = make_incident()
    seen = reload(incident).sla_next_check_at
    assert sla.sla_check(ticket_id=incident.pk, expected_check_at=seen, now=utc(1, 10, 45)) == 1
    assert sla.sla_check(ticket_id=incident.pk, expected_check_at=seen, now=utc(1, 10, 45)) == 0
    assert sla.sla_check(ticket_id=incident.pk, expected_check_at=seen, now=utc(1, 11)) == 0
    assert len(events(incident, "sla")) == 1


def test_a_check_on_a_ticket_replanned_meanwhile_fires_nothing(clock, escalating, agent):
    incident = make_incident()
    seen = reload(incident).sla_next_check_at
    clock.set(1, 10, 30)
    services.comment_add(ticket=incident, by=agent, body="Here.")  # the next check moves
    assert sla.sla_check(ticket_id=incident.pk, expected_check_at=seen, now=utc(1, 10, 45)) == 0
    assert events(incident, "sla") == []


def test_the_sweep_is_one_range_query_when_nothing_is_due(
    clock, escalating, django_assert_num_queries
):
    for _ in range(5):
        make_incident()
    with django_assert_num_queries(1):
        assert sla.sla_sweep(now=utc(1, 10, 44)) == 0


def test_the_sweep_cost_per_ticket_is_bounded(clock, escalating, django_assert_max_num_queries):
    for _ in range(3):
        make_incident()
    # The scan; the policy, its calendar's periods and holidays, its rules (once); then per
    # ticket: read, savepoint, claim, lock, two audit events, save, release, and up to four
    # more per audit event for what the audit service writes beside it (the outbox).
    with django_assert_max_num_queries(1 + 4 + 3 * (8 + 2 * 4)):
        assert sla.sla_sweep(now=utc(1, 10, 45)) == 3


def test_the_sweep_pages_through_more_tickets_than_a_batch(clock, escalating):
    tickets = [make_incident() for _ in range(5)]
    assert sla.sla_sweep(now=utc(1, 10, 45), batch_size=2) == 5
    assert [reload(t).sla_response_warning_level for t in tickets] == [75] * 5


def test_the_escalation_email_goes_only_to_active_people_with_an_address(clock, escalating, team):
    away = make_agent(team, username="gone")
    incident = make_incident(assignment_group=team, assignee=away)
    User.objects.filter(pk=away.pk).update(is_active=False)
    sla.sla_sweep(now=utc(1, 10, 45))
    event = AuditEvent.objects.get(ticket_id=incident.pk, action=AuditAction.ESCALATED)
    assert event.changes["notified"] == {"from": None, "to": [away.pk]}
    assert sla.send_escalation_email(event.pk) == 0
    assert sla.send_escalation_email(10**9) == 0


def test_a_ticket_made_before_the_sla_clock_gets_one_when_its_priority_changes(clock, policy, lead):
    incident = make_incident(impact=3, urgency=3)
    Ticket.objects.filter(pk=incident.pk).update(sla_started_at=None)
    clock.set(1, 11)
    services.ticket_update(ticket=incident, by=lead, data={"impact": 2, "urgency": 2})
    ticket = reload(incident)
    assert (ticket.sla_started_at, ticket.resolution_due_at) == (utc(1, 10), utc(2, 10))


def test_every_working_period_may_end_at_midnight(clock, db):
    calendar = make_calendar("Nights", hours=[(0, time(22), time(0)), (1, time(0), time(6))])
    make_sla_policy(calendar=calendar, response_minutes=180, resolution_minutes=480)
    clock.set(1, 23)
    incident = make_incident()
    assert reload(incident).response_due_at == utc(2, 2)
    assert str(calendar.working_periods.first()) == "Monday 22:00–24:00"
