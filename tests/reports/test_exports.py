"""CSV export of any ticket list: the list's filters, the user's scope, exact content."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from servicedesk.core import services
from servicedesk.core.models import Ticket
from tests.factories import make_change, make_incident

pytestmark = pytest.mark.django_db

URL = reverse("reports:export-tickets")
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def export(client, user, params=None):
    client.force_login(user)
    response = client.get(URL, params or {})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_exact_content_of_an_export(client, agent, team):
    ticket = make_incident(
        title="=SUM(A1) printer", description="secret", assignment_group=team, impact=1, urgency=2
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=T0, updated_at=T0, response_due_at=None, resolution_due_at=None
    )
    agent.time_zone = "Europe/Paris"
    agent.save(update_fields=["time_zone"])

    rows = export(client, agent)

    assert rows == [
        [
            "number",
            "practice",
            "title",
            "status",
            "priority",
            "impact",
            "urgency",
            "sla_state",
            "assignment_group",
            "assignee",
            "requester",
            "service",
            "created_at",
            "updated_at",
            "response_due_at",
            "resolution_due_at",
            "responded_at",
            "resolved_at",
            "closed_at",
        ],
        [
            ticket.number,
            "incident",
            "'=SUM(A1) printer",
            "New",
            "2",
            "1",
            "2",
            ticket.sla_state,
            team.name,
            "",
            ticket.requester.username,
            "",
            "2026-03-02T10:30:00+01:00",
            "2026-03-02T10:30:00+01:00",
            "",
            "",
            "",
            "",
            "",
        ],
    ]


def test_an_end_users_export_holds_only_their_tickets_and_no_notes(
    client, agent, end_user, other_end_user
):
    mine = make_incident(title="Mine", requester=end_user)
    make_incident(title="Theirs", requester=other_end_user)
    services.comment_add(ticket=mine, by=agent, body="internal zebra note", internal=True)

    rows = export(client, end_user)
    text = repr(rows)

    assert [row[0] for row in rows[1:]] == [mine.number]
    assert "zebra" not in text


def test_the_lists_filters_pick_the_rows(client, agent):
    urgent = make_incident(title="Urgent", impact=1, urgency=1)
    make_incident(title="Low", impact=3, urgency=3)
    make_change(title="Urgent change", impact=1, urgency=1)

    rows = export(client, agent, {"practice": "incident", "priority": "1"})

    assert [row[0] for row in rows[1:]] == [urgent.number]


def test_the_search_filter_applies_to_exports(client, agent):
    found = make_incident(title="Toner empty", description="")
    make_incident(title="Other", description="")

    rows = export(client, agent, {"search": "toner"})

    assert [row[0] for row in rows[1:]] == [found.number]


def test_an_agent_does_not_export_another_teams_tickets(client, agent, other_team):
    make_incident(title="Elsewhere", assignment_group=other_team)

    assert export(client, agent)[1:] == []


def test_an_invalid_filter_is_a_400(client, agent):
    client.force_login(agent)

    response = client.get(URL, {"priority": "9"})

    assert response.status_code == 400
    assert "priority" in response.content.decode()


def test_export_needs_sign_in(client):
    assert client.get(URL).status_code == 302


def test_export_queries_do_not_grow_with_rows(client, agent, django_assert_max_num_queries):
    for i in range(30):
        make_incident(title=f"Row {i}")
    client.force_login(agent)

    with django_assert_max_num_queries(8):
        response = client.get(URL)
        rows = b"".join(response.streaming_content).decode().splitlines()
    assert len(rows) == 31
