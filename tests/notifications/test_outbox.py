"""The transactional outbox: one event per change, written with it, delivered after commit."""

import contextlib
import logging
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction
from django.utils import timezone

from incidents import services as incident_services
from notifications import tasks
from notifications.models import Delivery, OutboxEvent
from notifications.outbox import emit_event
from servicedesk.celery import app
from servicedesk.core import services as core
from servicedesk.core.models import AuditEvent
from tests.factories import make_agent, make_end_user, make_incident


def test_every_audit_event_has_one_outbox_event_with_a_stable_type(team, agent, end_user):
    incident = make_incident(requester=end_user)
    incident = core.ticket_assign(ticket=incident, by=agent, group=team, assignee=agent)
    incident = incident_services.incident_start(incident=incident, by=agent)
    core.comment_add(ticket=incident, by=agent, body="Looking into it.")
    core.comment_add(ticket=incident, by=agent, body="Cert expired.", internal=True)

    audits = list(AuditEvent.objects.filter(ticket_id=incident.pk).order_by("pk"))
    events = list(OutboxEvent.objects.filter(ticket_id=incident.pk).order_by("pk"))
    assert [e.audit_event_id for e in events] == [a.pk for a in audits]
    assert [(e.event_type, e.internal) for e in events] == [
        ("ticket.created", False),
        ("ticket.assigned", False),
        ("ticket.transitioned", False),
        ("ticket.commented", False),
        ("ticket.commented", True),
    ]
    transition = events[2].payload
    assert transition["audit"]["transition"] == "start"
    assert (transition["audit"]["from_status"], transition["audit"]["to_status"]) == (
        "new",
        "in_progress",
    )
    assert transition["ticket"]["number"] == incident.number
    assert transition["ticket"]["assignee"] == agent.pk
    # Nothing committed in this test's transaction, so nothing was processed either.
    assert {e.status for e in events} == {"pending"}
    assert Delivery.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_event_and_sends_nothing(team, agent, outbox):
    incident = make_incident(requester=make_end_user(username="eve"), assignment_group=team)
    outbox.clear()
    before = OutboxEvent.objects.count()

    def change_that_fails() -> None:
        with transaction.atomic():
            core.comment_add(ticket=incident, by=agent, body="This never happened.")
            assert OutboxEvent.objects.count() == before + 1
            raise RuntimeError("the change fails after the comment was written")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert OutboxEvent.objects.count() == before
    tasks.redispatch_pending(older_than_seconds=0)
    assert outbox == []
    assert not Delivery.objects.filter(event__event_type="ticket.commented").exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_delivered_right_after_commit(team, agent, outbox):
    requester = make_end_user(username="eve")
    incident = make_incident(requester=requester, assignment_group=team)
    outbox.clear()

    core.comment_add(ticket=incident, by=agent, body="We are on it.")

    event = OutboxEvent.objects.get(event_type="ticket.commented")
    assert event.status == "processed"
    assert [m.to for m in outbox] == [[requester.email]]


@contextlib.contextmanager
def broker_at(url: str):
    """Point the Celery app's publishing at another broker, for real (not eager), then back.

    The write URL, because a CELERY_BROKER_URL in the environment wins over conf.broker_url.
    """
    conf = app.conf
    saved = conf.broker_write_url, conf.task_always_eager
    conf.broker_write_url, conf.task_always_eager = url, False
    app._pool = None  # the connection pools were made for the old URL
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        conf.broker_write_url, conf.task_always_eager = saved
        app._pool = None
        app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_events_committed_while_the_broker_is_down_go_out_with_the_next_sweep(
    dead_port, outbox, caplog
):
    requester = make_end_user(username="eve")
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, "notifications"),
        broker_at(f"redis://127.0.0.1:{dead_port}/0"),
    ):
        incident = make_incident(requester=requester)
    assert time.monotonic() - started < 10  # the request is not held up for long

    event = OutboxEvent.objects.get(ticket_id=incident.pk)
    assert event.status == "pending"
    assert outbox == []
    assert "re-dispatch sweep will pick it up" in caplog.text

    # Too fresh for the sweep (the on-commit dispatch may still be on its way)…
    assert tasks.redispatch_pending() == {"events": 0, "emails": 0, "webhooks": 0}
    # …until it is older than the grace period.
    counts = tasks.redispatch_pending(older_than_seconds=0)

    assert counts["events"] == 1
    event.refresh_from_db()
    assert event.status == "processed"
    assert [m.to for m in outbox] == [[requester.email]]
    assert f"[{incident.number}]" in outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_an_event_travels_through_the_broker_to_a_real_worker(settings, outbox):
    """Not eager: the commit queues on the configured broker and a worker thread sends."""
    requester = make_end_user(username="eve")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            incident = make_incident(requester=requester)
            deadline = time.monotonic() + 30
            while (
                time.monotonic() < deadline
                and not Delivery.objects.filter(
                    event__ticket_id=incident.pk, status="sent"
                ).exists()
            ):
                time.sleep(0.05)
    finally:
        app.conf.task_always_eager = True
    assert Delivery.objects.get(event__ticket_id=incident.pk).status == "sent"
    assert [m.to for m in outbox] == [[requester.email]]


def test_emit_event_records_an_event_that_is_no_audit_event(team, agent, lead, committed, outbox):
    incident = make_incident(assignment_group=team, assignee=agent)
    with committed():
        event = emit_event(
            "sla.breached",
            ticket=incident,
            data={"target": "resolution", "due_at": timezone.now() - timedelta(minutes=1)},
            recipients=[lead],
        )
    event.refresh_from_db()
    assert event.audit_event_id is None
    assert event.status == "processed"
    assert event.payload["ticket"]["number"] == incident.number
    assert isinstance(event.payload["data"]["due_at"], str)  # JSON-safe
    assert sorted(m.to[0] for m in outbox) == sorted([lead.email, agent.email])
    assert all(m.subject.startswith(f"[{incident.number}] SLA breached:") for m in outbox)


def test_emit_event_with_a_dedupe_key_records_once(team):
    incident = make_incident(assignment_group=team)
    key = f"sla.warning:{incident.pk}:resolution:75"
    first = emit_event("sla.warning", ticket=incident, dedupe_key=key)
    again = emit_event("sla.warning", ticket=incident, dedupe_key=key)
    assert again.pk == first.pk
    assert OutboxEvent.objects.filter(event_type="sla.warning").count() == 1


@pytest.mark.parametrize("name", ["", "sla", "SLA.Warning", "sla warning", "sla.", "x" * 70 + ".y"])
def test_emit_event_refuses_a_malformed_type(db, name):
    with pytest.raises(ValueError, match="Not a valid event type"):
        emit_event(name)


def test_an_unknown_event_type_reaches_the_named_recipients_with_the_generic_email(
    team, committed, outbox
):
    approver = make_end_user(username="manny")
    incident = make_incident(assignment_group=team)
    with committed():
        emit_event("request.fulfilled", ticket=incident, recipients=[approver.pk])
    assert [m.to for m in outbox] == [[approver.email]]
    assert outbox[0].subject == f"[{incident.number}] request.fulfilled · {incident.number}"


def test_an_internal_event_never_reaches_end_users_even_when_named(team, agent, committed, outbox):
    end_user = make_end_user(username="manny")
    incident = make_incident(assignment_group=team, assignee=agent)
    with committed():
        emit_event(
            "approval.needed",
            ticket=incident,
            recipients=[end_user, make_agent(team, username="bob")],
            internal=True,
        )
    assert [m.to[0] for m in outbox] == ["bob@example.com"]


def test_a_translated_label_as_note_is_stored_as_text(team, agent):
    incident = make_incident(assignment_group=team, assignee=agent)
    incident = incident_services.incident_start(incident=incident, by=agent)
    incident_services.incident_hold(incident=incident, by=agent, reason="awaiting_caller")
    event = OutboxEvent.objects.filter(event_type="ticket.transitioned").last()
    assert event.payload["audit"]["note"] == "Awaiting caller"
    assert event.payload["audit"]["to_status"] == "on_hold"
