"""The portal home: a greeting and the user's own tickets, nothing internal."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from servicedesk.core import selectors, services
from servicedesk.core.models import Ticket
from tests.factories import make_change, make_incident, make_request

# session, user, the user's permissions (own and through groups), the tickets.
PORTAL_HOME_QUERIES = 5


def listed_numbers(response) -> list[str]:
    return [ticket.number for ticket in response.context["tickets"].tickets]


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("portal:home"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/portal/"


def test_an_end_user_sees_the_tickets_they_requested_or_watch_newest_first(
    client, end_user, other_end_user, agent, team
):
    first = make_incident(title="Laptop will not boot", requester=end_user)
    make_incident(title="Mallory's secret issue", requester=other_end_user)
    watched = make_change(title="Office move", requester=other_end_user)
    services.watcher_add(ticket=watched, user=end_user, by=agent)
    second = make_request(title="A second monitor", requester=end_user, assignment_group=team)
    client.force_login(end_user)

    response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert listed_numbers(response) == [second.number, watched.number, first.number]
    content = response.content.decode()
    assert "Mallory's secret issue" not in content
    assert "Hello, " in content


def test_another_users_ticket_never_shows_up(client, end_user, other_end_user):
    make_incident(title="Payroll is wrong", requester=other_end_user)
    client.force_login(end_user)

    response = client.get(reverse("portal:home"))

    assert listed_numbers(response) == []
    assert "Payroll is wrong" not in response.content.decode()
    assert "You have no tickets yet." in response.content.decode()


def test_a_ticket_shows_plain_status_and_no_internal_fields(client, end_user, agent, team):
    end_user.first_name = "Eve"
    end_user.time_zone = "America/New_York"
    end_user.save(update_fields=["first_name", "time_zone"])
    ticket = make_incident(
        title="Wi-Fi drops in room 4",
        requester=end_user,
        assignment_group=team,
        assignee=agent,
        impact=1,
        urgency=1,
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        status="on_hold", created_at=datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    )
    client.force_login(end_user)

    content = client.get(reverse("portal:home")).content.decode()

    assert '<h1 id="greeting">Hello, Eve</h1>' in content
    assert (
        '<p class="ticket-card__kicker"><span>Issue</span> <span class="mono">INC0000001</span></p>'
        in content
    )
    assert '<span class="pill pill--open">On hold</span>' in content
    assert '<time datetime="2026-03-02T10:30:00-05:00"' in content
    card = re.search(r'<li class="ticket-card".*?</li>', content, re.S).group(0)
    for internal in (team.name, agent.display_name, agent.username, "P1", "SLA", "critical"):
        assert internal not in card


def test_a_finished_ticket_is_marked_done(client, end_user):
    ticket = make_request(title="Mouse", requester=end_user)
    Ticket.objects.filter(pk=ticket.pk).update(status="fulfilled")
    client.force_login(end_user)

    content = client.get(reverse("portal:home")).content.decode()

    assert '<span class="pill pill--done">Fulfilled</span>' in content


def test_an_agent_on_the_portal_sees_only_their_own_requests(client, agent, team):
    mine = make_incident(title="My own laptop", requester=agent)
    make_incident(title="Team ticket", assignment_group=team)
    client.force_login(agent)

    response = client.get(reverse("portal:home"))

    assert listed_numbers(response) == [mine.number]
    assert '<a href="/dashboard/">Agent workspace</a>' in response.content.decode()


def test_the_portal_layout_is_its_own(client, end_user):
    client.force_login(end_user)

    response = client.get(reverse("portal:home"))

    content = response.content.decode()
    assert [t.name for t in response.templates][:3] == [
        "portal/home.html",
        "portal/base.html",
        "layout.html",
    ]
    assert '<body class="portal"' in content
    nav = re.search(r'<nav class="mainnav" aria-label="Portal">(.*?)</nav>', content, re.S)
    assert re.findall(r'<a href="([^"]+)"', nav.group(1)) == [
        "/portal/",
        "/portal/report/",
        "/portal/tickets/",
        "/portal/answers/",
    ]
    assert "Agent workspace" not in content


def test_the_list_is_bounded(client, end_user):
    for n in range(selectors.LIST_LIMIT + 1):
        make_incident(title=f"Issue {n}", requester=end_user)
    client.force_login(end_user)

    response = client.get(reverse("portal:home"))

    assert len(listed_numbers(response)) == selectors.LIST_LIMIT
    assert "Showing your 25 most recent tickets." in response.content.decode()


@pytest.mark.parametrize("count", [1, 30])
def test_the_portal_home_costs_a_fixed_number_of_queries(
    client, end_user, agent, django_assert_num_queries, count
):
    for n in range(count):
        make_incident(title=f"Mine {n}", requester=end_user)
        watched = make_request(title=f"Watched {n}")
        services.watcher_add(ticket=watched, user=end_user, by=agent)
    client.force_login(end_user)

    with django_assert_num_queries(PORTAL_HOME_QUERIES):
        response = client.get(reverse("portal:home"))

    assert len(listed_numbers(response)) == min(2 * count, selectors.LIST_LIMIT)
