"""Notifications in the back office: webhooks written through their services, records read-only."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from notifications.models import OutboxEvent, WebhookSubscription
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_service_desk_admin_adds_a_webhook_through_the_service(admin_user):
    response = signed_in(admin_user).post(
        reverse("admin:notifications_webhooksubscription_add"),
        {
            "name": "Chat bot",
            "url": "hooks.example.com/desk",
            "event_types": '["ticket.created", "incident.resolved", "ticket.created"]',
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    hook = WebhookSubscription.objects.get()
    assert (hook.name, hook.url, hook.event_types, hook.created_by) == (
        "Chat bot",
        "https://hooks.example.com/desk",
        ["incident.resolved", "ticket.created"],
        admin_user,
    )
    assert len(hook.secret) == 48


def test_a_bad_event_type_is_a_message_not_a_server_error(admin_user):
    client = signed_in(admin_user)
    url = reverse("admin:notifications_webhooksubscription_add")

    response = client.post(
        url, {"name": "Bot", "url": "https://hooks.example.com/", "event_types": '["Nope"]'}
    )

    assert response.status_code == 302
    assert response.url == url
    assert WebhookSubscription.objects.count() == 0
    assert "event_types" in " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_switching_a_webhook_back_on_forgets_its_failures(admin_user):
    hook = WebhookSubscription.objects.create(
        name="Bot",
        url="https://hooks.example.com/",
        event_types=["*"],
        secret="s" * 48,
        is_active=False,
        consecutive_failures=9,
        disabled_reason="410 Gone",
    )
    WebhookSubscription.objects.filter(pk=hook.pk).update(disabled_at="2026-03-01T00:00:00Z")
    client = signed_in(admin_user)
    url = reverse("admin:notifications_webhooksubscription_change", args=[hook.pk])

    response = client.post(
        url,
        {
            "name": "Bot",
            "url": "https://hooks.example.com/",
            "event_types": '["*"]',
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.is_active, hook.consecutive_failures, hook.disabled_at, hook.secret) == (
        True,
        0,
        None,
        "s" * 48,
    )
    delete = reverse("admin:notifications_webhooksubscription_delete", args=[hook.pk])
    assert client.get(delete).status_code == 403


def test_the_outbox_is_read_only_for_the_admin(admin_user, superuser):
    make_incident(title="Mail is down")
    event = OutboxEvent.objects.order_by("pk").first()
    change = reverse("admin:notifications_outboxevent_change", args=[event.pk])

    for user in (admin_user, superuser):
        client = signed_in(user)
        page = client.get(change)
        assert page.status_code == 200
        assert page.context["has_change_permission"] is False
        assert client.post(change, {"status": "done"}).status_code == 403
        delete = reverse("admin:notifications_outboxevent_delete", args=[event.pk])
        assert client.get(delete).status_code == 403


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)
