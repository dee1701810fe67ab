"""The bell, the notification list, preferences pages, and their API."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from notifications.models import InAppNotification, NotificationPreference
from servicedesk.core import services as core
from tests.factories import make_incident


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def notified(team, agent, lead, end_user, committed):
    """Three notifications under the agent's bell (assigned, then two replies)."""
    ticket = make_incident(requester=end_user, assignment_group=team)
    with committed():
        core.ticket_assign(ticket=ticket, by=lead, group=team, assignee=agent)
        core.comment_add(ticket=ticket, by=end_user, body="Any news?")
        core.comment_add(ticket=ticket, by=end_user, body="Hello?")
    return list(InAppNotification.objects.filter(user=agent).order_by("created_at", "pk"))


def test_the_agent_nav_has_the_bell_and_the_portal_does_not(agent, end_user):
    page = signed_in(agent).get("/dashboard/").content.decode()
    assert 'hx-get="/notifications/bell/"' in page
    assert 'hx-trigger="load, every 60s, notifications-changed from:body"' in page
    portal = signed_in(end_user).get("/portal/").content.decode()
    assert "/notifications/bell/" not in portal


def test_the_bell_shows_the_unread_count(agent, notified, django_assert_num_queries):
    client = signed_in(agent)
    client.get("/notifications/bell/")
    response = client.get("/notifications/bell/")
    assert response["Cache-Control"] == "no-store"
    content = response.content.decode()
    assert 'aria-label="Notifications, 3 unread"' in content
    assert '<span class="count" data-unread="3">3</span>' in content
    notified[0].read_at = notified[0].created_at
    notified[0].save()
    assert 'data-unread="2"' in client.get("/notifications/bell/").content.decode()


def test_the_bell_and_list_are_for_agents(end_user, client):
    assert signed_in(end_user).get("/notifications/bell/").status_code == 403
    assert signed_in(end_user).get("/notifications/").status_code == 403
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_at_any_length(agent, notified, committed):
    client = signed_in(agent)
    few = queries(client, "/notifications/")
    ticket = notified[0].ticket
    with committed():
        for n in range(10):
            core.comment_add(ticket=ticket, by=ticket.requester, body=f"Ping {n}")
    assert InAppNotification.objects.filter(user=agent).count() == 13
    assert queries(client, "/notifications/") == few


def test_the_list_shows_newest_first_and_filters_unread(agent, notified):
    client = signed_in(agent)
    page = client.get("/notifications/").content.decode()
    titles = [n.title for n in reversed(notified)]
    positions = [page.index(title) for title in titles]
    assert positions == sorted(positions)
    notified[0].read_at = notified[0].created_at
    notified[0].save()
    unread = client.get("/notifications/?show=unread").content.decode()
    assert notified[0].title not in unread
    assert notified[1].title in unread


def test_marking_one_read_with_htmx_swaps_the_row(agent, notified):
    client = signed_in(agent)
    target = notified[1]
    response = client.post(f"/notifications/{target.pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    assert f'id="notification-{target.pk}"' in response.content.decode()
    assert "Mark read" not in response.content.decode()
    target.refresh_from_db()
    assert target.read_at is not None


def test_marking_read_without_htmx_and_all_at_once(agent, other_agent, notified):
    client = signed_in(agent)
    response = client.post(f"/notifications/{notified[0].pk}/read/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    assert InAppNotification.objects.filter(user=agent, read_at__isnull=True).count() == 2
    # Someone else's notification is not theirs to mark.
    signed_in(other_agent).post(f"/notifications/{notified[1].pk}/read/")
    assert InAppNotification.objects.filter(user=agent, read_at__isnull=True).count() == 2
    client.post("/notifications/read-all/", {"next": "https://evil.example/"})
    assert InAppNotification.objects.filter(user=agent, read_at__isnull=True).count() == 0
    assert client.get("/notifications/read-all/").status_code == 405


def test_an_agent_sets_preferences_per_event_type_and_channel(agent):
    client = signed_in(agent)
    page = client.get("/notifications/preferences/").content.decode()
    assert 'name="email:ticket.commented" id="email-3"' in page
    assert 'name="in_app:sla.breached"' in page
    response = client.post(
        "/notifications/preferences/",
        {"email:ticket.assigned": "on", "in_app:ticket.commented": "on"},
    )
    assert response.status_code == 302
    chosen = {
        p.event_type: (p.email, p.in_app) for p in NotificationPreference.objects.filter(user=agent)
    }
    assert chosen["ticket.assigned"] == (True, False)
    assert chosen["ticket.commented"] == (False, True)
    assert chosen["sla.breached"] == (False, False)


def test_an_end_user_sets_email_preferences_in_the_portal(end_user):
    client = signed_in(end_user)
    page = client.get("/portal/notifications/preferences/").content.decode()
    assert "in_app:" not in page
    assert "ticket.assigned" not in page  # nothing an end user receives
    assert 'name="email:ticket.commented"' in page
    client.post("/portal/notifications/preferences/", {"email:ticket.created": "on"})
    chosen = {p.event_type: p.email for p in NotificationPreference.objects.filter(user=end_user)}
    assert chosen == {
        "ticket.created": True,
        "ticket.commented": False,
        "ticket.transitioned": False,
        "approval.needed": False,
        "change.scheduled": False,
    }
    assert signed_in(end_user).get("/notifications/preferences/").status_code == 403


def test_the_account_menu_links_each_user_to_their_preferences_page(agent, end_user):
    agent_page = signed_in(agent).get("/dashboard/").content.decode()
    portal_page = signed_in(end_user).get("/portal/").content.decode()
    assert '<a href="/notifications/preferences/">Notification preferences</a>' in agent_page
    assert (
        '<a href="/portal/notifications/preferences/">Notification preferences</a>' in portal_page
    )


# --- API -------------------------------------------------------------------------------------


def test_the_api_shows_and_changes_the_callers_preferences(agent):
    client = api(agent)
    shown = {p["event_type"]: p for p in client.get("/api/v1/me/notification-preferences/").json()}
    assert shown["ticket.updated"] == {
        "event_type": "ticket.updated",
        "label": "A ticket's details changed",
        "email": False,
        "in_app": True,
    }
    response = client.patch(
        "/api/v1/me/notification-preferences/",
        [{"event_type": "ticket.updated", "email": True}],
        format="json",
    )
    assert response.status_code == 200
    changed = {p["event_type"]: p for p in response.json()}["ticket.updated"]
    assert (changed["email"], changed["in_app"]) == (True, True)


@pytest.mark.parametrize(
    "body",
    [
        [{"event_type": "ticket.nonsense", "email": False}],
        [{"event_type": "ticket.updated", "label": "mine"}],
        {"event_type": "ticket.updated"},
        [{"email": True}],
    ],
)
def test_the_api_refuses_bad_preferences(agent, body):
    response = api(agent).patch("/api/v1/me/notification-preferences/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_an_end_user_cannot_set_agent_only_preferences(end_user):
    response = api(end_user).patch(
        "/api/v1/me/notification-preferences/",
        [{"event_type": "sla.breached", "email": False}],
        format="json",
    )
    assert response.status_code == 400


def test_the_api_lists_and_marks_the_callers_notifications(agent, other_agent, notified):
    client = api(agent)
    listed = client.get("/api/v1/notifications/").json()
    assert [n["id"] for n in listed["results"]] == [n.pk for n in reversed(notified)]
    assert listed["results"][0]["event_type"] == "ticket.commented"
    assert client.post(f"/api/v1/notifications/{notified[0].pk}/read/").json() == {"marked_read": 1}
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 2
    assert api(other_agent).post(f"/api/v1/notifications/{notified[1].pk}/read/").status_code == 404
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked_read": 2}
    assert api(other_agent).get("/api/v1/notifications/").json()["count"] == 0


def test_an_id_too_large_for_the_database_is_a_404(agent, admin_user):
    huge = "9" * 23
    assert signed_in(agent).post(f"/notifications/{huge}/read/").status_code == 404
    assert api(agent).post(f"/api/v1/notifications/{huge}/read/").status_code == 404
    assert api(admin_user).get(f"/api/v1/webhooks/{huge}/").status_code == 404
    assert api(admin_user).get(f"/api/v1/webhooks/{huge}/deliveries/").status_code == 404
