"""End users in Chromium: report a problem, follow it in My tickets and confirm the fix."""

import contextlib
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from incidents import services as incident_services
from incidents.models import Incident
from problems import services as problem_services
from tests.factories import TeamFactory, make_agent, make_end_user

PASSWORD = "pass-word-123"
RESULTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@contextlib.contextmanager
def screenshot_on_failure(page: Page, name: str):
    """Keep what the browser showed when a step fails, in test-results/."""
    try:
        yield
    except Exception:
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
        raise


def sign_in(page: Page, base_url: str, username: str, next_url: str = "/") -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.locator("summary", has_text="Account menu").click()
    page.get_by_role("button", name="Sign out").click()


def test_an_end_user_reports_a_problem_an_agent_resolves_it_and_the_user_confirms(
    live_server, page: Page
):
    team = TeamFactory(name="Service Desk")
    agent = make_agent(team, username="alice", first_name="Alice", last_name="Archer")
    make_end_user(username="eve", first_name="Eve", last_name="Adams")
    problem = problem_services.problem_create(by=agent, title="Printer jams", assignment_group=team)
    problem_services.problem_mark_known_error(
        problem=problem_services.problem_investigate(problem=problem, by=agent),
        by=agent,
        root_cause="Worn rollers",
        workaround="Use the printer on floor 2 meanwhile.",
        publication="public",
    )
    base = live_server.url

    with screenshot_on_failure(page, "portal-journey"):
        sign_in(page, base, "eve")
        expect(page).to_have_url(f"{base}/portal/")
        page.get_by_role("link", name="Report a problem").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Report a problem")
        page.get_by_label("What is wrong?").fill("Printer on floor 3 jams")
        # While typing, a matching public known error is suggested with its workaround.
        page.get_by_label("What is wrong?").fill("printer jams")
        suggestion = page.locator("#suggestions .portal-suggestion")
        expect(suggestion).to_have_count(1)
        suggestion.locator("summary").click()
        expect(suggestion).to_contain_text("Use the printer on floor 2 meanwhile.")
        page.get_by_label("What is wrong?").fill("Printer on floor 3 jams")
        page.get_by_label("Tell us more").fill("It jams on **every** page.")
        page.get_by_label("I cannot work").check()
        page.get_by_role("button", name="Send").click()

        incident = Incident.objects.get()
        expect(page).to_have_url(f"{base}/portal/issues/{incident.pk}/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Printer on floor 3 jams")
        expect(page.locator("#status")).to_have_text("New")
        expect(page.locator("#description strong")).to_have_text("every")

        page.get_by_role("navigation", name="Portal").get_by_role("link", name="My tickets").click()
        expect(page.locator("#my-tickets .ticket-card")).to_have_count(1)
        expect(page.locator("#my-tickets .ticket-card__title")).to_have_text(
            "Printer on floor 3 jams"
        )
        sign_out(page)

        # The agent finds it on the dashboard, then starts and resolves it on its page.
        sign_in(page, base, "alice")
        expect(page).to_have_url(f"{base}/dashboard/")
        expect(page.get_by_text("Printer on floor 3 jams").first).to_be_visible()
        page.goto(base + reverse("incidents:detail", args=[incident.pk]))
        expect(page.get_by_role("heading", level=1)).to_have_text("Printer on floor 3 jams")
        page.get_by_role("button", name="Start work").click()
        expect(page.locator(".ticket-header .status")).to_have_text("In progress")
        page.locator("summary", has_text="Resolve…").click()
        page.get_by_label("Resolution code").select_option(label="Solved (permanently)")
        page.get_by_label("Resolution notes").fill("Removed a stuck label.")
        page.locator("#transition-resolve").get_by_role("button", name="Resolve").click()
        expect(page.locator(".ticket-header .status")).to_have_text("Resolved")
        sign_out(page)

        sign_in(page, base, "eve", f"/portal/issues/{incident.pk}/")
        expect(page.locator("#status")).to_have_text("Resolved")
        page.get_by_role("button", name="Yes, it is solved").click()
        expect(page.get_by_text("Thank you for confirming. The ticket is closed.")).to_be_visible()
        expect(page.locator("#status")).to_have_text("Closed")

    incident.refresh_from_db()
    assert incident.status == "closed"


def test_the_report_page_fits_a_phone(live_server, page: Page):
    make_end_user(username="eve", first_name="Eve")
    page.set_viewport_size({"width": 390, "height": 844})

    with screenshot_on_failure(page, "portal-report-390"):
        sign_in(page, live_server.url, "eve", "/portal/report/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Report a problem")
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / "portal-report-390.png"), full_page=True)
        # Nothing wider than the screen: no sideways scrolling on a phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390


def test_a_resolved_incident_page_fits_a_phone(live_server, page: Page):
    team = TeamFactory(name="Service Desk")
    agent = make_agent(team, username="alice", first_name="Alice")
    eve = make_end_user(username="eve", first_name="Eve")
    incident = incident_services.incident_create(
        by=eve, title="Wi-Fi drops in meeting room 4", description="Every ~10 minutes."
    )
    incident_services.incident_assign(incident=incident, by=agent, group=team, assignee=agent)
    incident = incident_services.incident_start(incident=Incident.objects.get(), by=agent)
    incident_services.incident_resolve(
        incident=incident,
        by=agent,
        resolution_code="solved",
        resolution_notes="Replaced the access point.",
    )
    page.set_viewport_size({"width": 390, "height": 844})

    with screenshot_on_failure(page, "portal-incident-390"):
        sign_in(page, live_server.url, "eve", f"/portal/issues/{incident.pk}/")
        expect(page.get_by_role("button", name="Yes, it is solved")).to_be_visible()
        expect(page.get_by_role("heading", name="Rate our help")).to_be_visible()
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / "portal-incident-390.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
