"""The ticket lists' opt-in cursor: stable order, no duplicates or gaps, clear errors."""

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from servicedesk.core.models import Ticket
from tests.factories import ConfigurationItemFactory, make_change, make_incident

URL = "/api/v1/incidents/"


def newest_first(tickets):
    return [t.number for t in sorted(tickets, key=lambda t: (t.created_at, t.pk), reverse=True)]


def walk(client, url):
    """Every page from ``url`` on, following ``next``: the numbers and the bodies."""
    numbers, bodies = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        bodies.append(body)
        numbers += [row["number"] for row in body["results"]]
        url = body["next"]
    return numbers, bodies


def cursor_of(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.fixture
def incidents(team):
    made = [make_incident(assignment_group=team) for _ in range(7)]
    # Three of them created at the same instant: the id breaks the tie.
    same = timezone.now() - timedelta(hours=1)
    Ticket.objects.filter(pk__in=[made[1].pk, made[2].pk, made[4].pk]).update(created_at=same)
    return [Ticket.objects.get(pk=t.pk) for t in made]


def test_the_cursor_walks_every_row_once_newest_first(api_as, agent, incidents):
    numbers, bodies = walk(api_as(agent), f"{URL}?cursor=&page_size=2")

    assert numbers == newest_first(incidents)
    assert [len(b["results"]) for b in bodies] == [2, 2, 2, 1]
    assert all("count" not in b for b in bodies)
    assert bodies[0]["previous"] is None
    assert bodies[-1]["next"] is None


def test_rows_created_while_walking_neither_repeat_nor_hide_rows(api_as, agent, team, incidents):
    client = api_as(agent)
    first = client.get(f"{URL}?cursor=&page_size=3").json()
    created = [make_incident(assignment_group=team) for _ in range(3)]
    rest, _bodies = walk(client, first["next"])

    seen = [row["number"] for row in first["results"]] + rest
    assert seen == newest_first(incidents)
    assert not set(seen) & {t.number for t in created}


def test_previous_goes_back_to_the_same_rows_and_then_to_newer_ones(api_as, agent, team, incidents):
    client = api_as(agent)
    first = client.get(f"{URL}?cursor=&page_size=3").json()
    second = client.get(first["next"]).json()
    newer = make_incident(assignment_group=team)

    back = client.get(second["previous"]).json()
    assert back["results"] == first["results"]
    assert client.get(back["next"]).json()["results"] == second["results"]
    # The incident created meanwhile is before the first page now.
    before = client.get(back["previous"]).json()
    assert [row["number"] for row in before["results"]] == [newer.number]
    assert before["previous"] is None


def test_the_cursor_keeps_the_filters_and_the_callers_scope(
    api_as, agent, team, other_team, incidents
):
    make_incident(assignment_group=other_team)
    make_change(assignment_group=team)
    high = [make_incident(assignment_group=team, impact=1, urgency=1) for _ in range(3)]

    numbers, _bodies = walk(api_as(agent), f"{URL}?cursor=&page_size=2&priority=1")
    assert numbers == newest_first(high)
    everything, _bodies = walk(api_as(agent), f"{URL}?cursor=&page_size=4")
    assert everything == newest_first([*incidents, *high])


def test_page_numbers_stay_the_default_with_their_count(api_as, agent, incidents):
    body = api_as(agent).get(f"{URL}?page_size=5&page=2").json()
    assert body["count"] == 7
    assert [row["number"] for row in body["results"]] == newest_first(incidents)[5:]
    assert "cursor=" not in (body["previous"] or "")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=" + cursor_of(["a list"]), "cursor"),
        ("cursor=" + cursor_of({"r": False, "t": "yesterday", "id": 1}), "cursor"),
        ("cursor=" + cursor_of({"r": False, "t": "2026-01-01T00:00:00", "id": 1}), "cursor"),
        ("cursor=" + cursor_of({"r": False, "t": "2026-01-01T00:00:00Z", "id": 2**63}), "cursor"),
        ("cursor=" + cursor_of({"r": False, "t": "2026-01-01T00:00:00Z", "id": "1"}), "cursor"),
        ("cursor=" + cursor_of({"r": "no", "t": "2026-01-01T00:00:00Z", "id": 1}), "cursor"),
        ("cursor=" + cursor_of({"r": False, "t": "0001-01-01T00:00:00+23:00", "id": 1}), "cursor"),
        ("cursor=%C3%A9t%C3%A9", "cursor"),
        ("cursor=&page=2", "page"),
        ("cursor=&ordering=priority", "ordering"),
    ],
)
def test_a_bad_cursor_is_a_400_that_names_it(api_as, agent, incidents, query, field):
    response = api_as(agent).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_a_cursor_with_an_offset_postgresql_cannot_store_still_works(api_as, agent, incidents):
    # +23:00 is valid ISO 8601 but out of PostgreSQL's range of offsets: compared in UTC.
    future = cursor_of({"r": False, "t": "2999-01-01T00:00:00+23:00", "id": 1})
    numbers, _bodies = walk(api_as(agent), f"{URL}?cursor={future}&page_size=50")
    assert numbers == newest_first(incidents)


@pytest.mark.parametrize("path", ["incidents", "problems", "changes", "requests"])
def test_the_schema_documents_the_cursor_of_each_ticket_list(api_client, db, path):
    schema = api_client.get("/api/schema/?format=json").json()
    parameters = {p["name"] for p in schema["paths"][f"/api/v1/{path}/"]["get"]["parameters"]}
    assert {"cursor", "page", "page_size"} <= parameters


def test_a_cursor_page_costs_the_same_queries_at_any_length(
    api_client, agent, team, django_assert_num_queries
):
    """Token auth (1), the agent's permissions (2), the page (1), its CIs (1): no count."""
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    ci = ConfigurationItemFactory()
    for _ in range(3):
        make_incident(assignment_group=team, configuration_items=[ci])
    with django_assert_num_queries(5):
        first = api_client.get(f"{URL}?cursor=&page_size=2").json()
    with django_assert_num_queries(5):
        assert len(api_client.get(first["next"]).json()["results"]) == 1
    for _ in range(30):
        make_incident(assignment_group=team, configuration_items=[ci])
    with django_assert_num_queries(5):
        assert len(api_client.get(f"{URL}?cursor=&page_size=30").json()["results"]) == 30
