"""An agent opens a problem from incidents in Chromium, records the known error, and the
incident page shows its workaround."""

import pytest
from playwright.sync_api import Page, expect

from problems.models import Problem
from tests.factories import TeamFactory, make_agent, make_incident

PASSWORD = "pass-word-123"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_opens_a_problem_from_incidents_and_records_the_known_error(
    live_server, page: Page
):
    team = TeamFactory(name="Service Desk")
    make_agent(team, username="alice", first_name="Alice", last_name="Archer")
    first = make_incident(title="Printer jams on floor 2", assignment_group=team)
    second = make_incident(title="Printer jams again", assignment_group=team)
    make_incident(title="Mail is slow", assignment_group=team)

    page.goto(f"{live_server.url}/accounts/login/?next=/incidents/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/incidents/")

    # Select two incidents and open a problem from them: the form comes filled in.
    page.get_by_label(f"Select {first.number}").check()
    page.get_by_label(f"Select {second.number}").check()
    page.get_by_role("button", name="Open a problem…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New problem")
    expect(page.get_by_label("Incidents")).to_have_value(f"{first.number}, {second.number}")
    page.get_by_label("Title").fill("Printers jam weekly")
    page.get_by_role("button", name="Open the problem").click()

    problem = Problem.objects.get()
    expect(page).to_have_url(f"{live_server.url}/problems/{problem.pk}/")
    expect(page.locator("#incident-count")).to_have_text("2 linked incidents")
    expect(page.locator("#incidents tbody tr")).to_have_count(2)

    page.locator("summary", has_text="Start investigation…").click()
    page.locator("#transition-investigate").get_by_role(
        "button", name="Start investigation"
    ).click()
    expect(page.locator("#problem-status")).to_have_text("Under investigation")

    page.locator("summary", has_text="Record known error…").click()
    page.get_by_label("Root cause").first.fill("Worn feed rollers")
    page.locator("#mark_known_error_workaround").fill("Print from **tray 2**.")
    page.locator("#transition-mark_known_error").get_by_role(
        "button", name="Record known error"
    ).click()
    expect(page.locator("#messages")).to_contain_text(f"{problem.number} is a known error now.")
    expect(page.locator("#workaround strong")).to_have_text("tray 2")

    # The linked incident's page shows the workaround.
    page.get_by_role("link", name=first.number).first.click()
    expect(page).to_have_url(f"{live_server.url}/incidents/{first.pk}/")
    expect(page.locator("#problem-workaround")).to_contain_text("Print from tray 2.")
