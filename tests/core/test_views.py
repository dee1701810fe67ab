"""Sign-in, home routing, the agent dashboard and the error pages."""

from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.template import loader
from django.test import Client
from django.urls import reverse

from servicedesk.core import selectors
from servicedesk.core.choices import Practice
from servicedesk.core.models import Ticket, User
from tests.factories import (
    TeamFactory,
    make_change,
    make_incident,
    make_problem,
    make_request,
)

PASSWORD = "pass-word-123"

# session, user, the user's permissions (own and through groups), then one query per
# dashboard section (SLA at risk included), my work's count per SLA state, and the
# major-incident banner: whatever the number of tickets.
DASHBOARD_QUERIES = 10


def force_status(ticket: Ticket, status: str) -> None:
    """Put a ticket in ``status`` as a transition would (no practice has transitions yet)."""
    Ticket.objects.filter(pk=ticket.pk).update(status=status)


def section(response, section_id: str) -> list[str]:
    """The ticket numbers a dashboard section lists, in order."""
    (found,) = [s for s in response.context["sections"] if s["id"] == section_id]
    return [ticket.number for ticket in found["rows"].tickets]


# --- sign in and out ------------------------------------------------------------------


def test_the_login_page_renders_a_sign_in_form(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == ["registration/login.html", "layout.html"]
    content = response.content.decode()
    assert '<input type="text" name="username"' in content
    assert '<input type="password" name="password"' in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert "<title>Sign in · Service Desk</title>" in content


def test_a_wrong_password_shows_a_form_error_and_signs_nobody_in(client, agent):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter a correct username and password. Note that both fields may be case-sensitive."
    ]
    assert 'role="alert" id="login-errors"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_agent_who_signs_in_lands_on_the_dashboard(client, agent):
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [("/", 302), ("/dashboard/", 302)]
    assert response.status_code == 200
    assert response.templates[0].name == "core/dashboard.html"


def test_an_end_user_who_signs_in_lands_on_the_portal(client, end_user):
    response = client.post(reverse("login"), {"username": "eve", "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [("/", 302), ("/portal/", 302)]
    assert response.templates[0].name == "portal/home.html"


def test_the_home_page_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_signing_out_ends_the_session_and_says_so(client, agent):
    client.force_login(agent)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["You have signed out."]
    assert client.get(reverse("dashboard"))["Location"] == "/accounts/login/?next=/dashboard/"


def test_signing_out_needs_a_post(client, agent):
    client.force_login(agent)

    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("dashboard")).status_code == 200


# --- layout ---------------------------------------------------------------------------


def test_the_agent_layout_has_landmarks_skip_link_htmx_and_a_csrf_header(client, agent):
    client.force_login(agent)

    content = client.get(reverse("dashboard")).content.decode()

    assert '<a class="skip-link" href="#main">Skip to content</a>' in content
    assert 'role="banner"' in content
    assert '<main id="main" class="container main" role="main" tabindex="-1">' in content
    assert 'role="contentinfo"' in content
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer></script>' in content
    assert 'hx-headers=\'{"X-CSRFToken": "' in content
    assert f'<form method="post" action="{reverse("logout")}">' in content
    assert '<a href="/dashboard/" aria-current="page">Dashboard</a>' in content
    assert "/admin/" not in content


def test_admins_get_a_link_to_the_admin_site(client, admin_user):
    client.force_login(admin_user)

    content = client.get(reverse("dashboard")).content.decode()

    assert '<a href="/admin/">Administration</a>' in content


# --- dashboard ------------------------------------------------------------------------


@pytest.fixture
def desk(team, other_team, agent, other_agent, end_user):
    """Tickets of every practice across two teams, one agent's point of view."""
    return {
        "my_incident": make_incident(
            title="Mail is down", assignment_group=team, assignee=agent, impact=1, urgency=1
        ),
        "my_problem": make_problem(
            title="Mail keeps failing", assignment_group=team, assignee=agent
        ),
        "my_change": make_change(
            title="Patch mail server", assignment_group=team, assignee=agent, impact=3, urgency=3
        ),
        "my_closed": make_incident(title="Old printer jam", assignment_group=team, assignee=agent),
        "queued": make_request(title="New laptop for Bob", assignment_group=team),
        "queued_resolved": make_incident(title="Fixed already", assignment_group=team),
        "unrouted": make_incident(title="Something is slow", requester=end_user),
        "unrouted_cancelled": make_request(title="Never mind"),
        "other_queue": make_incident(title="Switch port flapping", assignment_group=other_team),
        "other_assigned": make_incident(
            title="Firewall rule", assignment_group=other_team, assignee=other_agent
        ),
    }


def test_the_dashboard_lists_my_work_my_teams_queue_and_unrouted_open_tickets(client, agent, desk):
    force_status(desk["my_closed"], "closed")
    force_status(desk["queued_resolved"], "resolved")
    force_status(desk["unrouted_cancelled"], "cancelled")
    client.force_login(agent)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    # Most urgent first: P1 incident, P3 problem, P5 change.
    assert section(response, "my-work") == ["INC0000001", "PRB0000001", "CHG0000001"]
    assert section(response, "team-queue") == ["REQ0000001"]
    assert section(response, "unrouted") == ["INC0000004"]
    assert desk["unrouted"].number == "INC0000004"


def test_the_dashboard_counts_my_open_work_per_sla_state(client, agent, desk):
    states = {"my_incident": "breached", "my_problem": "paused", "my_closed": "breached"}
    for key, state in states.items():
        Ticket.objects.filter(pk=desk[key].pk).update(sla_state=state)
    Ticket.objects.filter(pk=desk["other_assigned"].pk).update(sla_state="at_risk")
    force_status(desk["my_closed"], "closed")
    client.force_login(agent)

    response = client.get(reverse("dashboard"))

    summary = response.context["sections"][0]["by_sla_state"]
    # The closed ticket and another agent's are not my open work.
    assert [(c.state, c.count) for c in summary] == [
        ("breached", 1),
        ("in_progress", 1),
        ("paused", 1),
    ]
    assert '<span class="badge badge--sla-breached">Breached</span> <strong>1</strong>' in (
        response.content.decode()
    )


def test_the_dashboard_never_shows_another_teams_tickets(client, agent, desk):
    client.force_login(agent)

    content = client.get(reverse("dashboard")).content.decode()

    assert "Mail is down" in content
    assert "New laptop for Bob" in content
    assert "Switch port flapping" not in content
    assert "Firewall rule" not in content


def test_a_dashboard_row_shows_status_priority_sla_requester_and_local_time(
    client, agent, team, end_user
):
    agent.time_zone = "Europe/Paris"
    agent.save(update_fields=["time_zone"])
    end_user.first_name, end_user.last_name = "Eve", "Adams"
    end_user.save(update_fields=["first_name", "last_name"])
    ticket = make_request(
        title="Access to the HR share",
        requester=end_user,
        assignment_group=team,
        assignee=agent,
        impact=2,
        urgency=1,
    )
    force_status(ticket, "awaiting_approval")
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    client.force_login(agent)

    content = client.get(reverse("dashboard")).content.decode()

    assert (
        f'<td data-label="Number" class="nowrap mono"><a href="/requests/{ticket.pk}/">'
        "REQ0000001</a></td>"
    ) in content
    assert '<td data-label="Practice" class="nowrap">Service request</td>' in content
    assert '<td data-label="Status" class="nowrap">Awaiting approval</td>' in content
    assert '<span class="badge badge--p2">P2 high</span>' in content
    assert '<span class="badge badge--sla-in_progress">In progress</span>' in content
    assert '<td data-label="Requester">Eve Adams</td>' in content
    assert '<time datetime="2026-01-15T13:00:00+01:00"' in content
    assert ">2026-01-15 13:00</time>" in content


def test_end_users_may_not_open_the_dashboard(client, end_user):
    client.force_login(end_user)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
    assert response.templates[1].name == "portal/base.html"


def test_each_dashboard_section_shows_at_most_its_limit(client, agent, team):
    for n in range(selectors.LIST_LIMIT + 2):
        make_incident(title=f"Queued {n}", assignment_group=team)
    client.force_login(agent)

    response = client.get(reverse("dashboard"))

    assert len(section(response, "team-queue")) == selectors.LIST_LIMIT
    assert "Showing the first 25 tickets." in response.content.decode()


@pytest.mark.parametrize("per_section", [1, 30])
def test_the_dashboard_costs_a_fixed_number_of_queries(
    client, agent, team, django_assert_num_queries, per_section
):
    requester = User.objects.create_user("requester", password=PASSWORD)
    factories = [make_incident, make_problem, make_change, make_request]
    for n in range(per_section):
        make = factories[n % len(factories)]
        make(title=f"Mine {n}", requester=requester, assignment_group=team, assignee=agent)
        make(title=f"Queued {n}", requester=requester, assignment_group=team)
        make(title=f"Unrouted {n}", requester=requester)
    client.force_login(agent)

    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    expected = min(per_section, selectors.LIST_LIMIT)
    assert [len(section(response, s)) for s in ("my-work", "team-queue", "unrouted")] == [
        expected
    ] * 3


# --- status labels --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("practice", "status", "label"),
    [
        (Practice.INCIDENT, "on_hold", "On hold"),
        (Practice.PROBLEM, "known_error", "Known error"),
        (Practice.CHANGE, "authorization", "Authorization"),
        (Practice.REQUEST, "awaiting_approval", "Awaiting approval"),
        (Practice.REQUEST, "no_such_state", "no_such_state"),
    ],
)
def test_a_status_is_labelled_from_its_practice_without_the_child_row(practice, status, label):
    assert selectors.status_label(practice, status) == label


@pytest.mark.parametrize(
    ("practice", "terminal"),
    [
        (Practice.INCIDENT, {"resolved", "closed", "cancelled"}),
        (Practice.PROBLEM, {"resolved", "closed", "cancelled"}),
        (Practice.CHANGE, {"closed", "rejected", "cancelled"}),
        (Practice.REQUEST, {"fulfilled", "closed", "rejected", "cancelled"}),
    ],
)
def test_the_terminal_states_of_each_practice(practice, terminal):
    statuses = {choice.value for choice in selectors.STATUS_CHOICES[practice]}
    assert selectors.TERMINAL_STATUSES[practice] == terminal
    assert terminal <= statuses


# --- error pages ----------------------------------------------------------------------


def test_an_unknown_page_gets_the_404_page(client, agent):
    client.force_login(agent)

    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert [t.name for t in response.templates][:2] == ["404.html", "base.html"]
    assert "<h1>Page not found</h1>" in response.content.decode()


def test_the_500_page_renders_without_a_request(db):
    html = loader.get_template("500.html").render()

    assert "<h1>Something went wrong</h1>" in html


def test_a_form_without_its_csrf_token_gets_the_friendly_403_page(db):
    response = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "x", "password": "y"}
    )

    assert response.status_code == 403
    assert "<h1>Please try again</h1>" in response.content.decode()


def test_a_second_team_queue_is_not_mixed_into_mine(client, agent, team):
    third = TeamFactory(name="Databases")
    make_incident(title="Slow query", assignment_group=third)
    make_incident(title="Printer", assignment_group=team)
    client.force_login(agent)

    response = client.get(reverse("dashboard"))

    assert section(response, "team-queue") == ["INC0000002"]
    assert section(response, "unrouted") == []
    assert section(response, "my-work") == []
