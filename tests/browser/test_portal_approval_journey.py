"""In Chromium: an end user orders a catalog item that needs approval; the manager approves."""

import contextlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from service_requests.models import ServiceRequest
from tests.factories import TeamFactory, make_end_user
from tests.service_requests.factories import make_item

PASSWORD = "pass-word-123"
RESULTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@contextlib.contextmanager
def screenshot_on_failure(page: Page, name: str):
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


def test_an_order_needing_approval_is_approved_by_the_manager_in_the_portal(
    live_server, page: Page
):
    team = TeamFactory(name="Service Desk")
    mike = make_end_user(username="mike", first_name="Mike", last_name="Manager")
    make_end_user(username="eve", first_name="Eve", last_name="Adams", manager=mike)
    make_item(owner_team=team, name="Ergonomic keyboard", form=[], approvals=["manager"])
    base = live_server.url

    with screenshot_on_failure(page, "portal-approval-journey"):
        sign_in(page, base, "eve", "/portal/catalog/")
        page.get_by_role("link", name="Ergonomic keyboard").click()
        page.get_by_role("button", name="Order").click()
        ordered = ServiceRequest.objects.get()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ergonomic keyboard")
        expect(page.locator("#waiting-for")).to_contain_text("Mike")

        page.get_by_role("navigation", name="Portal").get_by_role("link", name="My tickets").click()
        expect(page.locator(f"#ticket-{ordered.pk}")).to_contain_text(ordered.number)
        page.locator("summary", has_text="Account menu").click()
        page.get_by_role("button", name="Sign out").click()

        sign_in(page, base, "mike", "/portal/approvals/")
        expect(page.get_by_text("Ergonomic keyboard")).to_be_visible()
        page.get_by_role("button", name="Approve").click()
        expect(page.locator(".message--success")).to_be_visible()

    ordered.refresh_from_db()
    assert ordered.status != "awaiting_approval"
    assert ordered.approvals.get().status == "approved"
