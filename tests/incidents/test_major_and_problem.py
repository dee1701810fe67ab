import pytest
from django.core import mail

from incidents import services
from notifications.models import OutboxEvent
from servicedesk.core.choices import AuditAction
from servicedesk.core.errors import NotPermitted, ValidationFailed
from servicedesk.core.models import AuditEvent
from tests.factories import make_admin, make_agent, make_incident, make_problem


def test_declaring_a_major_incident_tells_the_team_leads_and_admins(
    team, other_team, agent, lead, django_capture_on_commit_callbacks
):
    make_agent(other_team, lead=True, username="otherlead")  # another team's lead: not told
    admin = make_admin(username="root")
    incident = make_incident(assignment_group=team, impact=1, urgency=1)
    with django_capture_on_commit_callbacks(execute=True):
        declared = services.incident_set_major(
            incident=incident, by=agent, is_major=True, reason="Whole floor offline"
        )
    assert declared.is_major
    assert declared.major_declared_by == agent
    majors = [m for m in mail.outbox if "Major incident" in m.subject]
    assert sorted(m.to[0] for m in majors) == sorted([lead.email, admin.email])
    assert {m.subject for m in majors} == {f"[{incident.number}] Major incident: {incident.title}"}
    assert "Whole floor offline" in majors[0].body
    event = OutboxEvent.objects.get(event_type="incident.major_declared")
    assert (event.ticket_id, event.internal) == (incident.pk, True)
    assert sorted(event.recipient_ids) == sorted([lead.pk, admin.pk])
    event = AuditEvent.objects.filter(ticket_id=incident.pk).last()
    assert (event.changes, event.note) == (
        {"is_major": {"from": False, "to": True}},
        "Whole floor offline",
    )


def test_declaring_needs_a_reason_and_the_right_agent(team, agent, other_agent):
    incident = make_incident(assignment_group=team)
    with pytest.raises(ValidationFailed):
        services.incident_set_major(incident=incident, by=agent, is_major=True, reason="")
    with pytest.raises(NotPermitted):
        services.incident_set_major(incident=incident, by=other_agent, is_major=True, reason="x")
    incident.refresh_from_db()
    assert not incident.is_major


def test_standing_down_sends_nothing(team, agent, django_capture_on_commit_callbacks):
    incident = make_incident(assignment_group=team)
    services.incident_set_major(incident=incident, by=agent, is_major=True, reason="x")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        stood_down = services.incident_set_major(incident=incident, by=agent, is_major=False)
    assert not stood_down.is_major
    assert stood_down.major_declared_at is None
    assert not [m for m in mail.outbox if "Major incident" in m.subject]
    assert OutboxEvent.objects.filter(event_type="incident.major_declared").count() == 1


def test_linking_to_a_problem_is_recorded(team, agent):
    incident, problem = make_incident(assignment_group=team), make_problem()
    linked = services.incident_link_problem(incident=incident, by=agent, problem=problem)
    assert linked.related_problem == problem
    assert list(problem.incidents.all()) == [linked]
    services.incident_link_problem(incident=linked, by=agent, problem=None)
    changes = [
        e.changes
        for e in AuditEvent.objects.filter(ticket_id=incident.pk, action=AuditAction.CHANGED)
    ]
    assert changes == [
        {"problem": {"from": None, "to": problem.pk}},
        {"problem": {"from": problem.pk, "to": None}},
    ]
