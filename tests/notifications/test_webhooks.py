"""Outbound webhooks: signatures, a real receiver on 127.0.0.1, retries, disabling, the API."""

import hashlib
import hmac
import time

import pytest
from rest_framework.test import APIClient

from notifications import services, tasks, webhooks
from notifications.models import WebhookDelivery, WebhookSubscription
from servicedesk.core import services as core
from tests.factories import make_incident

SECRET = "whsec_test_0123456789abcdef"


# --- signatures ---------------------------------------------------------------------------


def test_the_signature_matches_a_known_vector():
    # printf '1767225600.{"id":"1"}' | openssl dgst -sha256 -hmac 'whsec_test_0123456789abcdef'
    body = b'{"id":"1"}'
    expected = "sha256=e38dc7812f979f319135ce576a646c82724b91ec9684ca288b2d335e4ef6f7e4"
    computed = webhooks.sign(SECRET, 1767225600, body)
    reference = hmac.new(SECRET.encode(), b'1767225600.{"id":"1"}', hashlib.sha256).hexdigest()
    assert computed == f"sha256={reference}"
    assert computed == expected


def test_verify_signature_accepts_ours_and_refuses_tampering_and_replays():
    body = b'{"type":"ticket.created"}'
    now = 1767225600
    signature = webhooks.sign(SECRET, now, body)
    verify = webhooks.verify_signature
    assert verify(secret=SECRET, body=body, timestamp=now, signature=signature, now=now + 10)
    assert verify(secret=SECRET, body=body, timestamp=str(now), signature=signature, now=now)
    assert not verify(secret=SECRET, body=body + b" ", timestamp=now, signature=signature, now=now)
    assert not verify(secret="other", body=body, timestamp=now, signature=signature, now=now)
    assert not verify(secret=SECRET, body=body, timestamp=now + 1, signature=signature, now=now)
    assert not verify(secret=SECRET, body=body, timestamp=now, signature=signature, now=now + 301)
    assert not verify(secret=SECRET, body=body, timestamp="soon", signature=signature, now=now)
    assert not verify(secret=SECRET, body=body, timestamp=now, signature="sha256=00", now=now)


# --- deliveries ----------------------------------------------------------------------------


def subscribe(receiver, **fields) -> WebhookSubscription:
    fields.setdefault("event_types", ["ticket.created", "ticket.commented"])
    return services.webhook_subscription_create(
        by=None, name="CMDB sync", url=receiver.url, secret=SECRET, **fields
    )


def test_a_receiver_on_localhost_gets_signed_deliveries(
    webhook_receiver, team, agent, end_user, committed
):
    subscription = subscribe(webhook_receiver)
    with committed():
        incident = make_incident(requester=end_user, assignment_group=team)
        core.comment_add(ticket=incident, by=agent, body="Rebooted the VPN concentrator.")
        core.watcher_add(ticket=incident, user=agent, by=agent)  # not subscribed

    assert [r.json()["type"] for r in webhook_receiver.requests] == [
        "ticket.created",
        "ticket.commented",
    ]
    for received in webhook_receiver.requests:
        headers = {k.lower(): v for k, v in received.headers.items()}
        assert received.path == "/hooks/desk"
        assert headers["content-type"] == "application/json"
        assert webhooks.verify_signature(
            secret=SECRET,
            body=received.body,
            timestamp=headers["x-servicedesk-timestamp"],
            signature=headers["x-servicedesk-signature"],
        )
        assert headers["x-servicedesk-event"] == received.json()["type"]
        assert headers["x-servicedesk-delivery"] == received.json()["id"]
    comment = webhook_receiver.requests[1].json()
    assert comment["ticket"]["number"] == incident.number
    assert comment["actor"] == agent.pk
    assert comment["data"]["comment"]["body"] == "Rebooted the VPN concentrator."
    assert comment["data"]["action"] == "commented"

    log = WebhookDelivery.objects.filter(subscription=subscription).order_by("pk")
    assert [(d.status, d.status_code, d.attempts) for d in log] == [("succeeded", 200, 1)] * 2
    assert log[0].response_body == '{"ok": true}'
    assert log[0].attempt_log[0]["status_code"] == 200


def test_internal_notes_go_only_to_subscriptions_flagged_internal(
    webhook_receiver, team, agent, end_user, committed
):
    public = subscribe(webhook_receiver, event_types=["*"])
    internal = services.webhook_subscription_create(
        by=None,
        name="Agent chat",
        url=webhook_receiver.url + "/internal",
        event_types=["ticket.commented"],
        include_internal=True,
    )
    incident = make_incident(requester=end_user, assignment_group=team)
    with committed():
        core.comment_add(ticket=incident, by=agent, body="Password is hunter2", internal=True)

    assert [r.path for r in webhook_receiver.requests] == ["/hooks/desk/internal"]
    note = webhook_receiver.requests[0].json()
    assert note["internal"] is True
    assert note["data"]["comment"] == {
        "id": note["data"]["comment"]["id"],
        "author": agent.pk,
        "internal": True,
        "created_at": note["data"]["comment"]["created_at"],
        "body": "Password is hunter2",
    }
    assert not WebhookDelivery.objects.filter(subscription=public).exists()
    assert WebhookDelivery.objects.get(subscription=internal).status == "succeeded"


def run_due_retries() -> None:
    """Let the backoff pass at once, then run the beat sweep."""
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at="2000-01-01T00:00Z")
    tasks.redispatch_pending(older_than_seconds=0)


def test_a_failing_receiver_is_retried_with_backoff_then_disabled(
    webhook_receiver, team, end_user, committed, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    settings.WEBHOOK_RETRY_BACKOFF_SECONDS = 30
    webhook_receiver.status = 500
    subscription = subscribe(webhook_receiver, event_types=["ticket.created"])
    with committed():
        make_incident(requester=end_user, assignment_group=team)

    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.status_code) == ("pending", 1, 500)
    assert delivery.error == "HTTP 500"
    assert delivery.response_body == "boom"
    assert round((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()) == 30
    assert tasks.send_webhook_delivery(delivery.pk) == "not-claimed"  # not due yet

    run_due_retries()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert round((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()) == 60

    run_due_retries()
    delivery.refresh_from_db()
    subscription.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert [a["status_code"] for a in delivery.attempt_log] == [500, 500, 500]
    assert len(webhook_receiver.requests) == 3
    assert not subscription.is_active
    assert subscription.consecutive_failures == 3
    assert subscription.disabled_reason == "Disabled after 3 failed deliveries in a row."

    # A disabled subscription gets nothing more.
    with committed():
        make_incident(requester=end_user, assignment_group=team)
    run_due_retries()
    assert len(webhook_receiver.requests) == 3


def test_an_unreachable_receiver_counts_as_a_failure(dead_port, team, end_user, committed):
    subscription = services.webhook_subscription_create(
        by=None, name="Gone", url=f"http://127.0.0.1:{dead_port}/", event_types=["*"]
    )
    with committed():
        make_incident(requester=end_user, assignment_group=team)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == "pending"
    assert delivery.status_code is None
    assert delivery.error.startswith("ConnectError")


def test_a_success_resets_the_failure_count_and_a_redelivery_is_not_sent_twice(
    webhook_receiver, team, end_user, committed
):
    subscription = subscribe(webhook_receiver, event_types=["ticket.created"])
    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=4)
    with committed():
        make_incident(requester=end_user, assignment_group=team)
    delivery = WebhookDelivery.objects.get()
    assert tasks.send_webhook_delivery(delivery.pk) == "not-claimed"
    tasks.redispatch_pending(older_than_seconds=0)
    assert len(webhook_receiver.requests) == 1
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_the_receiver_may_not_take_long(team, end_user, committed, settings):
    """Short timeouts: a slow receiver is a failed attempt, not a stuck worker."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts the connection, never answers
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    subscription = services.webhook_subscription_create(
        by=None,
        name="Slow",
        url=f"http://127.0.0.1:{listener.getsockname()[1]}/",
        event_types=["ticket.created"],
    )
    started = time.monotonic()
    try:
        with committed():
            make_incident(requester=end_user, assignment_group=team)
    finally:
        listener.close()
    assert time.monotonic() - started < 5
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.error.startswith("ReadTimeout")


# --- API ------------------------------------------------------------------------------------


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_only_admins_manage_webhooks(agent, end_user):
    for user in (agent, end_user):
        assert client_for(user).get("/api/v1/webhooks/").status_code == 403
        response = client_for(user).post(
            "/api/v1/webhooks/", {"name": "x", "url": "https://x.test/", "event_types": ["*"]}
        )
        assert response.status_code == 403
    assert APIClient().get("/api/v1/webhooks/").status_code == 401


def test_an_admin_creates_changes_and_stops_a_subscription(admin_user):
    client = client_for(admin_user)
    response = client.post(
        "/api/v1/webhooks/",
        {
            "name": "Monitoring",
            "url": "https://hooks.example.com/desk",
            "event_types": ["ticket.created", "sla.breached", "ticket.created"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["event_types"] == ["sla.breached", "ticket.created"]
    assert len(created["secret"]) == 48  # generated
    assert created["is_active"] is True
    assert created["include_internal"] is False
    url = f"/api/v1/webhooks/{created['id']}/"

    response = client.patch(url, {"event_types": ["*"], "secret": "s3cret-s3cret"}, format="json")
    assert response.status_code == 200
    assert (response.json()["event_types"], response.json()["secret"]) == (["*"], "s3cret-s3cret")

    response = client.patch(url, {"is_active": False}, format="json")
    assert response.json()["is_active"] is False
    assert client.delete(url).status_code == 405  # stopped, not deleted: the log stays


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "url": "ftp://files.example.com/", "event_types": ["*"]}, "url"),
        ({"name": "x", "url": "not a url", "event_types": ["*"]}, "url"),
        ({"name": "x", "url": "https://x.test/", "event_types": []}, "event_types"),
        (
            {"name": "x", "url": "https://x.test/", "event_types": ["Ticket Created"]},
            "event_types.0",
        ),
        ({"name": "x", "url": "https://x.test/", "event_types": "*"}, "event_types"),
        ({"url": "https://x.test/", "event_types": ["*"]}, "name"),
        (
            {
                "name": "x",
                "url": "https://x.test/",
                "event_types": ["*"],
                "consecutive_failures": 0,
            },
            "consecutive_failures",
        ),
    ],
)
def test_a_bad_subscription_is_refused_field_by_field(admin_user, body, field):
    response = client_for(admin_user).post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_re_enabling_a_disabled_subscription_forgets_its_failures(admin_user, webhook_receiver):
    subscription = subscribe(webhook_receiver)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=False,
        consecutive_failures=10,
        disabled_at="2026-01-01T00:00Z",
        disabled_reason="Disabled after 10 failed deliveries in a row.",
    )
    response = client_for(admin_user).patch(
        f"/api/v1/webhooks/{subscription.pk}/", {"is_active": True}, format="json"
    )
    assert response.status_code == 200
    shown = response.json()
    assert (shown["is_active"], shown["consecutive_failures"], shown["disabled_at"]) == (
        True,
        0,
        None,
    )


def test_the_delivery_log_lists_status_codes_in_fixed_queries(
    admin_user, webhook_receiver, team, end_user, committed, django_assert_num_queries
):
    subscription = subscribe(webhook_receiver, event_types=["*"])
    client = client_for(admin_user)
    url = f"/api/v1/webhooks/{subscription.pk}/deliveries/"
    with committed():
        make_incident(requester=end_user, assignment_group=team)
    client.get(url)  # the admin's permissions are cached on the user from here on
    with django_assert_num_queries(3):  # the subscription, the count, the page with its events
        first = client.get(url)
    with committed():
        for _ in range(4):
            make_incident(requester=end_user, assignment_group=team)
    with django_assert_num_queries(3):
        more = client.get(url)
    assert first.status_code == more.status_code == 200
    assert more.json()["count"] == 5
    row = more.json()["results"][0]
    assert (row["event_type"], row["status"], row["status_code"], row["attempts"]) == (
        "ticket.created",
        "succeeded",
        200,
        1,
    )
    failed = client.get(url + "?status=failed")
    assert failed.json()["count"] == 0
    assert client.get(url + "?status=nonsense").status_code == 400
    assert client.get("/api/v1/webhooks/999/deliveries/").status_code == 404
