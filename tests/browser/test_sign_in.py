"""Signing in with the real form in Chromium: agents reach the dashboard, end users the portal."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import TeamFactory, make_agent, make_end_user, make_incident

PASSWORD = "pass-word-123"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/accounts/login/?next=/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_agent_signs_in_and_sees_their_ticket_on_the_dashboard(live_server, page: Page):
    team = TeamFactory(name="Service Desk")
    make_agent(team, username="alice", first_name="Alice", last_name="Archer")
    requester = make_end_user(username="eve", first_name="Eve", last_name="Adams")
    make_incident(
        title="VPN drops every hour",
        requester=requester,
        assignment_group=team,
        assignee=team.members.get(),
        impact=1,
        urgency=2,
    )
    make_incident(title="Switch port flapping", assignment_group=TeamFactory(name="Network"))

    sign_in(page, live_server.url, "alice")

    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    expect(page).to_have_title("Dashboard · Service Desk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    rows = page.locator("#my-work tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td")).to_have_text(
        [
            "INC0000001",
            "VPN drops every hour",
            "Incident",
            "New",
            "P2 high",
            "In progress",
            "Eve Adams",
            re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"),
        ]
    )
    expect(page.locator("#team-queue")).to_contain_text("Your teams have no unassigned tickets.")
    expect(page.get_by_text("Switch port flapping")).to_have_count(0)

    # Sign out through the user menu.
    page.locator("summary", has_text="Account menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def test_an_end_user_signs_in_and_lands_on_the_portal(live_server, page: Page):
    eve = make_end_user(username="eve", first_name="Eve")
    make_incident(title="Printer jams on floor 3", requester=eve)
    make_incident(title="Someone else's problem", requester=make_end_user(username="mallory"))

    sign_in(page, live_server.url, "eve")

    expect(page).to_have_url(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Eve")
    cards = page.locator(".ticket-card")
    expect(cards).to_have_count(1)
    expect(cards.first.locator(".ticket-card__title")).to_have_text("Printer jams on floor 3")
    expect(cards.first.locator(".pill")).to_have_text("New")
    expect(page.get_by_text("Someone else's problem")).to_have_count(0)
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)


def test_a_wrong_password_keeps_the_user_on_the_sign_in_page(live_server, page: Page):
    make_end_user(username="eve")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("eve")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("alert")).to_have_text(
        "Please enter a correct username and password. Note that both fields may be case-sensitive."
    )
