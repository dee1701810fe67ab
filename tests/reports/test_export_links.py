"""The "Export CSV" link of every ticket list: its filters, its practice, the same rows."""

import csv
import io
import re
from html import unescape

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from changes import services as change_services
from incidents.models import Category
from problems.models import Problem
from servicedesk.core import services as core_services
from servicedesk.core.choices import TeamKind
from servicedesk.core.templatetags.desk import export_url
from tests.changes.factories import change_in, make_cab_member, ready_change
from tests.factories import TeamFactory, make_change, make_incident, make_problem
from tests.service_requests.factories import make_item, order


def test_the_export_url_keeps_the_filters_and_drops_the_page_and_empty_fields():
    query = QueryDict("status=new&status=in_progress&page=3&assignee=&search=a%26b&practice=x")

    assert export_url("incident", query) == (
        "/export/tickets.csv?status=new&status=in_progress&search=a%26b&practice=incident"
    )


def test_the_export_url_takes_a_query_string_too():
    assert export_url("change", "page=2") == "/export/tickets.csv?practice=change"
    assert export_url("", "") == "/export/tickets.csv"


def test_the_component_links_to_the_export_with_the_filters_escaped():
    html = render_to_string(
        "components/export_link.html",
        {"practice": "request", "query": QueryDict("priority=1&priority=2&page=4")},
    )

    assert (
        'href="/export/tickets.csv?priority=1&amp;priority=2&amp;practice=request" download>'
        in html
    )
    assert "Export CSV" in html


# --- each list page's link gives the list's rows ---------------------------------------------

LINK = re.compile(r'class="[^"]*export-link[^"]*" href="([^"]+)"')


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def export_link(response) -> str:
    assert response.status_code == 200
    links = LINK.findall(response.content.decode())
    assert len(links) == 1, links
    return unescape(links[0])


def listed(response) -> list[str]:
    """The numbers on every page of the list (the paginator's whole filtered list)."""
    return sorted(t.number for t in response.context["page"].paginator.object_list)


def exported(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    return sorted(row[0] for row in list(csv.reader(io.StringIO(text)))[1:])


@pytest.mark.django_db
def test_the_incident_lists_link_exports_its_filtered_rows_on_every_page(
    client, agent, team, other_team, monkeypatch
):
    monkeypatch.setattr("incidents.views.PAGE_SIZE", 2)
    printers = Category.objects.create(name="Printers")
    wanted = [
        make_incident(title=f"Printer {n}", category=printers, assignment_group=team)
        for n in range(3)
    ]
    noted = make_incident(title="Scanner", category=printers, assignment_group=team)
    core_services.comment_add(ticket=noted, by=agent, body="toner zebra", internal=True)
    make_incident(title="Other category", assignment_group=team)
    make_incident(title="Another team", category=printers, assignment_group=other_team)
    make_change(title="A change", assignment_group=team)
    client.force_login(agent)

    page2 = client.get(reverse("incidents:list"), {"category": printers.pk, "page": 2})
    url = export_link(page2)

    assert "page=" not in url
    assert "practice=incident" in url
    assert listed(page2) == exported(client, url)
    assert exported(client, url) == sorted(t.number for t in [*wanted, noted])
    # The search reaches internal notes in the list, so in its export too.
    searched = client.get(reverse("incidents:list"), {"search": "zebra"})
    assert listed(searched) == exported(client, export_link(searched)) == [noted.number]


@pytest.mark.django_db
def test_the_incident_lists_link_follows_filters_changed_in_place(client, agent, team):
    make_incident(title="Urgent", impact=1, urgency=1, assignment_group=team)
    make_incident(title="Low", impact=3, urgency=3, assignment_group=team)
    client.force_login(agent)

    response = client.get(
        reverse("incidents:list"),
        {"priority": "1"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )

    url = export_link(response)
    assert listed(response) == exported(client, url)
    assert len(exported(client, url)) == 1


@pytest.mark.django_db
def test_the_change_lists_link_exports_the_boards_view_of_changes(agent, team):
    cab = TeamFactory(name="CAB", kind=TeamKind.CAB)
    member = make_cab_member(cab, username="bea")
    emergency = ready_change(by=agent, assignment_group=team, change_type="emergency")
    ready_change(by=agent, assignment_group=team, title="Normal one")
    noted = ready_change(by=agent, assignment_group=team, change_type="emergency", title="Noted")
    core_services.comment_add(ticket=noted, by=agent, body="zebra", internal=True)
    client = signed_in(member)  # sees every change, beyond the ticket core's scope

    response = client.get(reverse("changes:list"), {"change_type": "emergency"})
    url = export_link(response)

    assert listed(response) == exported(client, url)
    assert exported(client, url) == sorted([emergency.number, noted.number])
    searched = client.get(reverse("changes:list"), {"search": "zebra"})
    assert listed(searched) == exported(client, export_link(searched))


@pytest.mark.django_db
def test_the_cab_queues_link_exports_the_queue(agent, team):
    cab = TeamFactory(name="CAB", kind=TeamKind.CAB)
    members = [make_cab_member(cab, username=name) for name in ("bea", "ben", "bob")]
    first = change_in(
        "authorization", change=ready_change(by=agent, assignment_group=team), agent=agent
    )
    second = change_in(
        "authorization",
        change=ready_change(by=agent, assignment_group=team, title="Second"),
        agent=agent,
    )
    change_services.change_vote(change=second, by=members[0], decision="approve", comment="ok")
    ready_change(by=agent, assignment_group=team, title="A draft")
    client = signed_in(members[0])

    response = client.get(reverse("changes:cab-queue"))
    url = export_link(response)

    queue = sorted(c.number for c in [*response.context["awaiting"], *response.context["voted"]])
    assert queue == sorted([first.number, second.number])
    assert exported(client, url) == queue
    # Nothing is on an agent's board: the queue and its export are empty.
    assert exported(signed_in(agent), url) == []


@pytest.mark.django_db
def test_the_request_lists_link_exports_its_rows_with_the_requests_scope(
    agent, team, other_team, end_user
):
    laptop = make_item(owner_team=other_team, tasks=[("Image it", team)])
    phone = make_item(owner_team=other_team, name="Phone")
    via_task = order(laptop, end_user)  # another team's request: the task shows it
    order(phone, end_user)
    client = signed_in(agent)

    everything = client.get(reverse("requests:list"))
    by_item = client.get(reverse("requests:list"), {"catalog_item": laptop.pk})

    assert listed(everything) == exported(client, export_link(everything))
    assert listed(by_item) == exported(client, export_link(by_item)) == [via_task.number]


@pytest.mark.django_db
def test_the_problem_lists_link_exports_its_rows_whatever_its_ordering(
    client, agent, team, other_team
):
    known = make_problem(title="Known", assignment_group=team)
    Problem.objects.filter(pk=known.pk).update(is_known_error=True)
    noted = make_problem(title="Unknown", assignment_group=team)
    core_services.comment_add(ticket=noted, by=agent, body="zebra", internal=True)
    make_problem(title="Another team's", assignment_group=other_team)
    make_incident(title="Incident", assignment_group=team)
    client.force_login(agent)

    for query in (
        {},
        {"is_known_error": "true"},
        {"ordering": "-incident_count", "page": "1"},
        {"search": "zebra"},
    ):
        response = client.get(reverse("problems:list"), query)
        assert listed(response) == exported(client, export_link(response)), query
    assert exported(client, export_url("problem", "is_known_error=true")) == [known.number]
    assert exported(client, export_url("problem", "")) == sorted([known.number, noted.number])


@pytest.mark.django_db
def test_a_practice_export_stays_in_the_users_scope(client, agent, team, other_team, end_user):
    mine = make_incident(title="Mine", assignment_group=team, requester=end_user)
    theirs = make_incident(title="Theirs", assignment_group=other_team)
    client.force_login(agent)
    assert exported(client, export_url("incident", "")) == [mine.number]
    client.force_login(end_user)
    assert exported(client, export_url("incident", "")) == [mine.number]
    assert theirs.number not in exported(client, export_url("change", ""))


@pytest.mark.django_db
def test_an_unknown_practice_or_an_invalid_filter_is_a_400(client, agent):
    client.force_login(agent)
    assert client.get(reverse("reports:export-tickets"), {"practice": "nope"}).status_code == 400
    response = client.get(
        reverse("reports:export-tickets"), {"practice": "change", "change_type": "nope"}
    )
    assert response.status_code == 400
    assert b"change_type" in response.content
