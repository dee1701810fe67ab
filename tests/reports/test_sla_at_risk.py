"""The dashboard's "SLA at risk" section: resolution targets falling due within N hours."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from servicedesk.core import selectors
from servicedesk.core.models import Ticket
from tests.factories import make_incident, make_problem

pytestmark = pytest.mark.django_db


def due_in(ticket, delta, **fields):
    Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=timezone.now() + delta, **fields)


def test_lists_open_tickets_due_within_the_window_soonest_first(agent, team, other_team):
    later = make_incident(title="later", assignment_group=team)
    sooner = make_problem(title="sooner", assignment_group=team)
    beyond = make_incident(title="beyond", assignment_group=team)
    past = make_incident(title="already late", assignment_group=team)
    met = make_incident(title="met", assignment_group=team)
    paused = make_incident(title="paused", assignment_group=team)
    elsewhere = make_incident(title="other team", assignment_group=other_team)
    due_in(later, timedelta(hours=3))
    due_in(sooner, timedelta(minutes=30))
    due_in(beyond, timedelta(hours=5))
    due_in(past, -timedelta(minutes=1))
    due_in(met, timedelta(hours=1), sla_state="met")
    due_in(paused, timedelta(hours=1), sla_state="paused")
    due_in(elsewhere, timedelta(hours=1))

    found = [t.title for t in selectors.sla_at_risk(agent, hours=4)]

    assert found == ["sooner", "later"]


def test_the_dashboard_shows_the_section(client, agent, team):
    ticket = make_incident(title="due soon", assignment_group=team)
    due_in(ticket, timedelta(hours=1))
    client.force_login(agent)

    response = client.get(reverse("dashboard"))

    (section,) = [s for s in response.context["sections"] if s["id"] == "sla-at-risk"]
    assert [t.number for t in section["rows"].tickets] == [ticket.number]
    assert 'id="sla-at-risk"' in response.content.decode()
