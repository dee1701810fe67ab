"""An agent works an incident in Chromium: list, incident page, start, resolve."""

import pytest
from playwright.sync_api import Page, expect

from incidents.models import Incident
from servicedesk.core.models import AuditEvent
from tests.factories import TeamFactory, make_agent, make_end_user, make_incident

PASSWORD = "pass-word-123"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_opens_starts_and_resolves_an_incident(live_server, page: Page):
    team = TeamFactory(name="Service Desk")
    make_agent(team, username="alice", first_name="Alice", last_name="Archer")
    make_agent(team, username="sam", first_name="Sam", last_name="Stone")
    requester = make_end_user(username="eve", first_name="Eve", last_name="Adams")
    incident = make_incident(
        title="VPN drops every hour", requester=requester, assignment_group=team
    )
    make_incident(title="Switch port flapping", assignment_group=TeamFactory(name="Network"))

    page.goto(f"{live_server.url}/accounts/login/?next=/incidents/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The list: only the team's incident, its number links to the page.
    expect(page).to_have_url(f"{live_server.url}/incidents/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")
    expect(page.locator("#results-summary")).to_have_text("1 incident")
    expect(page.get_by_text("Switch port flapping")).to_have_count(0)

    # Filters swap the results in place and put the query in the address bar.
    page.get_by_label("Search incidents").fill("vpn")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{live_server.url}/incidents/?search=vpn&ordering=-updated_at")
    expect(page.locator("#results tbody tr")).to_have_count(1)

    page.get_by_role("link", name=incident.number).click()
    expect(page).to_have_url(f"{live_server.url}/incidents/{incident.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("VPN drops every hour")
    expect(page.locator(".ticket-header .status")).to_have_text("New")

    # Choosing a team loads its agents into the agent select.
    page.locator("#assign_assignment_group").select_option(label="Service Desk")
    expect(page.locator("#assign_assignee option")).to_have_text(
        ["Anyone in the team", "Alice Archer", "Sam Stone"]
    )

    page.get_by_role("button", name="Start work").click()
    expect(page.locator("#messages")).to_have_text("Work started on INC0000001.")
    expect(page.locator(".ticket-header .status")).to_have_text("In progress")
    expect(page.locator(".details")).to_contain_text("Alice Archer")

    page.locator("summary", has_text="Resolve…").click()
    page.get_by_label("Resolution code").select_option(label="Solved by workaround")
    page.get_by_label("Resolution notes").fill("Moved the user to the **backup** gateway.")
    page.locator("#transition-resolve").get_by_role("button", name="Resolve").click()

    expect(page.locator("#messages")).to_have_text("INC0000001 is resolved.")
    expect(page.locator(".ticket-header .status")).to_have_text("Resolved")
    expect(page.get_by_role("button", name="Reopen…")).to_have_count(0)
    expect(page.locator("summary", has_text="Reopen…")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Alice Archer resolved it")
    expect(page.locator(".details strong", has_text="Solved by workaround")).to_be_visible()

    resolved = Incident.objects.get(pk=incident.pk)
    assert (resolved.status, resolved.resolution_code) == ("resolved", "workaround")
    assert list(
        AuditEvent.objects.filter(ticket_id=incident.pk, action="transition").values_list(
            "transition", flat=True
        )
    ) == ["start", "resolve"]
