"""Notification emails: who gets what, never an internal note for end users, threading, retries."""

import re
from email import message_from_bytes

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services as incident_services
from notifications import services, tasks
from notifications.models import Delivery, InAppNotification, NotificationPreference, OutboxEvent
from servicedesk.core import services as core
from tests.factories import make_agent, make_end_user, make_incident

SECRET = "Root password is hunter2"


def bodies(message) -> str:
    """Everything a recipient could read in an email: subject, text, HTML, headers."""
    html = "".join(content for content, _type in message.alternatives)
    return "\n".join([message.subject, message.body, html, str(message.extra_headers)])


@pytest.fixture
def ticket(team, agent, end_user, committed):
    """An incident whose creation went out already (so only the test's own events remain)."""
    with committed():
        incident = make_incident(requester=end_user, assignment_group=team, assignee=agent)
    mail.outbox.clear()
    return incident


def test_a_public_reply_goes_to_the_requester_and_watchers_not_to_its_author(
    ticket, agent, end_user, committed, outbox
):
    watcher = make_end_user(username="walt")
    core.watcher_add(ticket=ticket, user=watcher, by=end_user)
    with committed():
        core.comment_add(ticket=ticket, by=agent, body="Please **restart** the client.")
    assert sorted(m.to[0] for m in outbox) == sorted([end_user.email, watcher.email])
    message = outbox[0]
    assert message.subject == f"[{ticket.number}] New reply: {ticket.title}"
    assert "Please **restart** the client." in message.body
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert "<strong>restart</strong>" in html


def test_requester_emails_never_contain_internal_notes_nor_their_existence(
    ticket, agent, end_user, committed, outbox, settings
):
    settings.INBOUND_MAIL_URL = "maildir:///tmp/unused"
    watcher = make_end_user(username="walt")
    core.watcher_add(ticket=ticket, user=watcher, by=end_user)
    colleague = make_agent(ticket.assignment_group, username="bob")
    with committed():
        note = core.comment_add(ticket=ticket, by=agent, body=SECRET, internal=True)
        core.attachment_add(
            ticket=ticket,
            by=agent,
            upload=SimpleUploadedFile("passwords.txt", b"hunter2", "text/plain"),
            comment=note,
        )
        core.comment_add(ticket=ticket, by=agent, body="We are working on it.")
        ticket = incident_services.incident_start(incident=ticket, by=agent)
        incident_services.incident_resolve(
            incident=ticket,
            by=agent,
            resolution_code="workaround",
            resolution_notes="Restarted the gateway.",
        )

    public = [m for m in outbox if set(m.to) & {end_user.email, watcher.email}]
    assert public, "the requester hears of the public reply and the resolution"
    for message in public:
        text = bodies(message)
        assert "hunter2" not in text
        assert "passwords.txt" not in text
        assert "internal" not in text.lower()
    # Agents who work the ticket and did not write it see the note (assignee wrote it).
    assert [m.to for m in outbox if SECRET in m.body] == []
    assert not Delivery.objects.filter(
        event__internal=True, recipient__in=[end_user, watcher]
    ).exists()
    assert colleague.email not in {a for m in outbox for a in m.to}  # not on an assigned ticket


def test_an_internal_note_reaches_the_team_of_an_unassigned_ticket_only(
    team, agent, end_user, committed, outbox
):
    colleague = make_agent(team, username="bob")
    ticket = make_incident(requester=end_user, assignment_group=team)
    agent_watcher = make_agent(team, username="wanda")
    core.watcher_add(ticket=ticket, user=agent_watcher, by=agent)
    with committed():
        core.comment_add(ticket=ticket, by=agent, body=SECRET, internal=True)
    recipients = sorted(m.to[0] for m in outbox)
    # The team (its members but the author), never the requester.
    assert recipients == sorted([colleague.email, agent_watcher.email])
    message = outbox[0]
    assert message.subject == f"[{ticket.number}] Internal note: {ticket.title}"
    assert SECRET in message.body
    assert "internal note (agents only)" in message.body
    assert ".internal.e" in message.extra_headers["Message-ID"]


def test_creation_confirms_to_the_requester_and_tells_the_team(team, end_user, committed, outbox):
    member = make_agent(team, username="bob")
    with committed():
        ticket = make_incident(requester=end_user, assignment_group=team)
    to = {m.to[0]: m for m in outbox}
    assert set(to) == {end_user.email, member.email}
    assert to[end_user.email].subject == (
        f"[{ticket.number}] We received your request: {ticket.title}"
    )
    assert f"gave it the number {ticket.number}" in to[end_user.email].body
    # Links lead the requester to the portal's page of the ticket, agents to theirs.
    assert f"http://127.0.0.1:8000/portal/issues/{ticket.pk}/" in to[end_user.email].body
    assert f"http://127.0.0.1:8000/incidents/{ticket.pk}/" in to[member.email].body
    assert to[member.email].subject == f"[{ticket.number}] New ticket: {ticket.title}"
    assert "A new ticket arrived for your team." in to[member.email].body


def test_assignment_tells_the_new_assignee_not_the_one_who_assigned(
    team, agent, lead, end_user, committed, outbox
):
    ticket = make_incident(requester=end_user, assignment_group=team)
    with committed():
        core.ticket_assign(ticket=ticket, by=lead, group=team, assignee=agent)
    assert [m.to for m in outbox] == [[agent.email]]
    assert outbox[0].subject == f"[{ticket.number}] Assigned to you: {ticket.title}"
    assert InAppNotification.objects.get(user=agent).title == (
        f"{ticket.number} was assigned to {agent.display_name}"
    )


def test_threading_headers_carry_the_ticket(ticket, agent, committed, outbox):
    with committed():
        core.comment_add(ticket=ticket, by=agent, body="First reply.")
        core.comment_add(ticket=ticket, by=agent, body="Second reply.")
    first, second = outbox
    root = f"<{ticket.number}@localhost>"
    for message in (first, second):
        raw = message_from_bytes(message.message().as_bytes())
        assert raw["In-Reply-To"] == root
        assert raw["References"] == root
        assert raw["Auto-Submitted"] == "auto-generated"
        assert re.fullmatch(rf"<{ticket.number}\.e\d+\.d\d+@localhost>", raw["Message-ID"])
        assert raw["Subject"].startswith(f"[{ticket.number}] ")
        assert raw.get_content_type() == "multipart/alternative"
    assert first.extra_headers["Message-ID"] != second.extra_headers["Message-ID"]
    sent = Delivery.objects.filter(event__event_type="ticket.commented", channel="email")
    assert list(sent.values_list("message_id", flat=True).order_by("pk")) == [
        first.extra_headers["Message-ID"],
        second.extra_headers["Message-ID"],
    ]


def test_preferences_are_honoured_per_channel(team, agent, lead, end_user, committed, outbox):
    ticket = make_incident(requester=end_user, assignment_group=team)
    NotificationPreference.objects.create(
        user=agent, event_type="ticket.assigned", email=False, in_app=True
    )
    NotificationPreference.objects.create(
        user=end_user, event_type="ticket.commented", email=False, in_app=False
    )
    with committed():
        core.ticket_assign(ticket=ticket, by=lead, group=team, assignee=agent)
        core.comment_add(ticket=ticket, by=agent, body="Reply nobody gets by email.")
    assert outbox == []
    assert list(InAppNotification.objects.values_list("user__username", flat=True)) == ["alice"]


def test_an_event_type_off_by_default_sends_no_email_but_shows_in_the_app(
    ticket, lead, committed, outbox
):
    with committed():
        core.ticket_update(ticket=ticket, by=lead, data={"title": "Printer on fire"})
    assert outbox == []
    notification = InAppNotification.objects.get(event__event_type="ticket.updated")
    assert notification.user == ticket.assignee
    assert notification.title == f"{lead.display_name} changed title on {ticket.number}"


def test_processing_an_event_twice_sends_one_email(ticket, agent, end_user, committed, outbox):
    core.comment_add(ticket=ticket, by=agent, body="Only once, please.")  # not committed yet
    event = OutboxEvent.objects.get(event_type="ticket.commented")
    with committed():
        tasks.process_outbox_event.delay(event.pk)
        tasks.process_outbox_event.delay(event.pk)
    delivery = Delivery.objects.get(event=event, channel="email")
    tasks.send_email_delivery.delay(delivery.pk)
    tasks.send_email_delivery(delivery.pk)
    tasks.redispatch_pending(older_than_seconds=0)
    assert [m.to for m in outbox] == [[end_user.email]]
    assert Delivery.objects.filter(event=event).count() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


class FlakySMTP:
    """An email backend that fails the first ``failures`` sends, then delivers to locmem."""

    failures = 0

    def __init__(self, *args, **kwargs):
        from django.core.mail.backends.locmem import EmailBackend

        self.inner = EmailBackend(*args, **kwargs)

    def send_messages(self, messages):
        if FlakySMTP.failures:
            FlakySMTP.failures -= 1
            raise ConnectionRefusedError("SMTP server unavailable")
        return self.inner.send_messages(messages)


def test_a_failed_send_is_retried_with_backoff_and_then_sent_once(
    ticket, agent, end_user, committed, outbox, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.FlakySMTP"
    settings.NOTIFICATIONS_RETRY_BACKOFF_SECONDS = 60
    FlakySMTP.failures = 2
    with committed():
        core.comment_add(ticket=ticket, by=agent, body="Mail server hiccups.")
    delivery = Delivery.objects.get(channel="email", event__event_type="ticket.commented")
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "SMTP server unavailable" in delivery.last_error
    assert 59 <= (delivery.next_attempt_at - delivery.claimed_at).total_seconds() <= 61
    assert tasks.send_email_delivery(delivery.pk) == "not-claimed"  # not due yet

    for expected_backoff in (120, None):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.claimed_at)
        tasks.redispatch_pending(older_than_seconds=0)
        delivery.refresh_from_db()
        if expected_backoff:
            gap = (delivery.next_attempt_at - delivery.claimed_at).total_seconds()
            assert expected_backoff - 1 <= gap <= expected_backoff + 1
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert [m.to for m in mail.outbox] == [[end_user.email]]


def test_a_send_that_keeps_failing_stops_after_the_last_attempt(
    ticket, agent, committed, outbox, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.FlakySMTP"
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    FlakySMTP.failures = 5
    with committed():
        core.comment_add(ticket=ticket, by=agent, body="Doomed.")
    delivery = Delivery.objects.get(channel="email", event__event_type="ticket.commented")
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.claimed_at)
    tasks.redispatch_pending(older_than_seconds=0)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    FlakySMTP.failures = 0
    assert tasks.redispatch_pending(older_than_seconds=0)["emails"] == 0
    assert outbox == []


def test_a_claim_left_by_a_dead_worker_is_given_back(ticket, agent, committed, outbox):
    from datetime import timedelta

    from django.utils import timezone

    core.comment_add(ticket=ticket, by=agent, body="Worker died mid-send.")
    event = OutboxEvent.objects.get(event_type="ticket.commented")
    services.event_process(event_id=event.pk)
    delivery = Delivery.objects.get(event=event, channel="email")
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", claimed_at=long_ago, created_at=long_ago
    )
    tasks.redispatch_pending()
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert len(outbox) == 1


def test_a_scheduled_change_tells_requester_assignee_and_watchers(
    ticket, agent, end_user, committed, outbox
):
    from notifications.outbox import emit_event

    watcher = make_end_user(username="walt")
    core.watcher_add(ticket=ticket, user=watcher, by=end_user)
    with committed():
        emit_event(
            "change.scheduled",
            ticket=ticket,
            actor=None,
            data={"planned_start": "2026-12-05T02:00:00+00:00", "planned_end": "04:00"},
        )
    assert sorted(m.to[0] for m in outbox) == sorted([end_user.email, agent.email, watcher.email])
    assert {m.subject for m in outbox} == {f"[{ticket.number}] Change scheduled: {ticket.title}"}
    assert "Planned window: 2026-12-05T02:00:00+00:00 – 04:00" in outbox[0].body
