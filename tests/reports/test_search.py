"""The one ticket search: ranking on PostgreSQL, scoping everywhere, the page and the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from servicedesk.core import services
from servicedesk.core.search import search_tickets
from tests.factories import make_change, make_incident, make_problem

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text ranking needs PostgreSQL"
)


def queries(client, url, params):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def numbers(qs):
    return [t.number for t in qs]


@postgres_only
def test_a_title_match_ranks_above_a_description_match(agent):
    in_description = make_incident(
        title="Laptop will not start", description="The docking station flickers."
    )
    in_title = make_incident(title="Docking station flickers", description="Since Monday.")

    found = search_tickets(agent, "docking station")

    assert numbers(found) == [in_title.number, in_description.number]
    assert found[0].rank > found[1].rank


@postgres_only
def test_stemming_finds_other_forms_of_a_word(agent):
    ticket = make_incident(title="Printers are jammed", description="")

    assert numbers(search_tickets(agent, "printer jam")) == [ticket.number]


def test_finds_by_number_title_description_and_public_comment(agent, end_user):
    by_title = make_incident(title="VPN gateway down", description="", requester=end_user)
    by_description = make_problem(title="Slow", description="the vpn gateway times out")
    by_comment = make_change(title="Upgrade", description="")
    services.comment_add(ticket=by_comment, by=agent, body="Also touches the VPN gateway.")
    make_incident(title="Unrelated", description="nothing here")

    assert set(numbers(search_tickets(agent, "vpn gateway"))) == {
        by_title.number,
        by_description.number,
        by_comment.number,
    }
    assert numbers(search_tickets(agent, by_description.number)) == [by_description.number]


def test_an_end_user_finds_only_their_tickets(end_user, other_end_user):
    mine = make_incident(title="Monitor broken", requester=end_user)
    make_incident(title="Monitor broken too", requester=other_end_user)

    assert numbers(search_tickets(end_user, "monitor")) == [mine.number]


def test_an_internal_note_is_searchable_by_agents_only(agent, end_user):
    ticket = make_incident(title="Mail", description="", requester=end_user)
    services.comment_add(ticket=ticket, by=agent, body="suspect the zanzibar relay", internal=True)

    assert numbers(search_tickets(agent, "zanzibar")) == [ticket.number]
    assert numbers(search_tickets(end_user, "zanzibar")) == []


def test_an_agent_does_not_find_another_teams_ticket(agent, other_team):
    make_incident(title="Payroll export fails", assignment_group=other_team)

    assert numbers(search_tickets(agent, "payroll")) == []


def test_an_empty_query_finds_nothing(agent):
    make_incident(title="Anything")

    assert numbers(search_tickets(agent, "   ")) == []


def test_search_page_groups_results_by_practice_and_marks_matches(client, agent):
    incident = make_incident(title="Badge reader <b>offline</b>", description="")
    problem = make_problem(title="Badge reader firmware", description="")
    client.force_login(agent)

    response = client.get(reverse("reports:search"), {"q": "badge"})

    assert response.status_code == 200
    groups = {g.practice: numbers(g.tickets) for g in response.context["groups"]}
    assert groups == {"incident": [incident.number], "problem": [problem.number]}
    body = response.content.decode()
    assert "<mark>Badge</mark> reader &lt;b&gt;offline&lt;/b&gt;" in body
    assert 'id="results-incident"' in body
    assert 'id="results-problem"' in body


def test_search_page_costs_a_fixed_number_of_queries(client, agent):
    for i in range(5):
        make_incident(title=f"Disk full {i}", description="")
        make_problem(title=f"Disk full again {i}", description="")
    client.force_login(agent)
    url = reverse("reports:search")
    client.get(url, {"q": "disk"})  # warm the session and caches

    # Beyond what the layout costs (the page without a query): counts per practice and the
    # rows, whatever the number of rows.
    assert queries(client, url, {"q": "disk"}) - queries(client, url, {}) == 2
    assert client.get(url, {"q": "disk"}).context["total"] == 10


def test_end_users_cannot_open_the_search_page(client, end_user):
    client.force_login(end_user)

    assert client.get(reverse("reports:search"), {"q": "x"}).status_code == 403


def test_api_search_parameter_uses_the_same_search(api_as, agent, end_user):
    ticket = make_incident(title="Wifi drops", description="", requester=end_user)
    services.comment_add(ticket=ticket, by=agent, body="secret quokka note", internal=True)
    make_incident(title="Something else", description="")

    agent_hits = api_as(agent).get("/api/v1/incidents/", {"search": "wifi"}).json()["results"]
    note_hits_agent = api_as(agent).get("/api/v1/incidents/", {"search": "quokka"}).json()
    note_hits_user = api_as(end_user).get("/api/v1/incidents/", {"search": "quokka"}).json()

    assert [r["number"] for r in agent_hits] == [ticket.number]
    assert [r["number"] for r in note_hits_agent["results"]] == [ticket.number]
    assert note_hits_user["results"] == []


@postgres_only
def test_the_search_is_served_by_the_gin_indexes(admin_user):
    make_incident(title="Printer", description="")
    with connection.cursor() as cursor:
        # On a tiny table a scan is cheaper; forbid it to see which indexes fit the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search_tickets(admin_user, "printer", ranked=False).explain()

    assert "ticket_search_gin" in plan
    assert "comment_search_gin" in plan


def test_a_nul_in_the_query_is_ignored_not_a_server_error(client, agent):
    make_incident(title="Keyboard", description="")
    client.force_login(agent)

    response = client.get(reverse("reports:search"), {"q": "key\x00board"})

    assert response.status_code == 200
